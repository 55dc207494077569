/**
 * Simulated machines for the device agent (scripts/device-agent.ts, the demo, the tests and the bench): a laser
 * cutter or a press brake making parts in cycles at a realistic rate, read as raw readings the agent records.
 */
import { ReadingKind, type Reading } from "../../core/readings.js";
import { seededRandom } from "../../core/random.js";

/** How a simulated machine works: a laser cutter or press brake making parts in cycles. */
export interface MachineProfile {
  /** Spindle (beam, ram) seconds per part. */
  cycleSeconds: number;
  /** Seconds between parts besides the cycle (loading, unloading). */
  handlingSeconds: number;
  /** Share of parts made under a licence (0..1), and the licence. */
  licensedShare: number;
  licenseId: number;
  /** A worker inspects every this many parts (0: never). */
  inspectEvery: number;
}

export const LASER_CUTTER: MachineProfile = {
  cycleSeconds: 42,
  handlingSeconds: 18,
  licensedShare: 0.25,
  licenseId: 0,
  inspectEvery: 10,
};

/** A press brake bending parts: short strokes, longer handling, no licensed designs, an inspection every 25 parts. */
export const PRESS_BRAKE: MachineProfile = {
  cycleSeconds: 8,
  handlingSeconds: 22,
  licensedShare: 0,
  licenseId: 0,
  inspectEvery: 25,
};

/** The simulated machines by name, as the device agent's command line takes them. */
export const PROFILES = { "laser-cutter": LASER_CUTTER, "press-brake": PRESS_BRAKE } as const;
export type ProfileName = keyof typeof PROFILES;

/**
 * `profile` fitted to an order and sped up: `speed` times as many parts per hour (cycle and handling divided,
 * whole seconds, a cycle at least 1 s); licensed parts are made under the order's first licence, or not at all
 * when its tariff names none (they could not be reported); no inspections without an inspector key.
 */
export function fitProfile(
  profile: MachineProfile,
  options: { speed?: number; licenseIds: readonly number[]; inspections: boolean },
): MachineProfile {
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new RangeError(`A machine's speed must be more than 0; got ${speed}.`);
  const licensed = options.licenseIds.length > 0;
  return {
    cycleSeconds: Math.max(1, Math.round(profile.cycleSeconds / speed)),
    handlingSeconds: Math.round(profile.handlingSeconds / speed),
    licensedShare: licensed ? profile.licensedShare : 0,
    licenseId: licensed
      ? options.licenseIds.includes(profile.licenseId)
        ? profile.licenseId
        : options.licenseIds[0]!
      : 0,
    inspectEvery: options.inspections ? profile.inspectEvery : 0,
  };
}

/**
 * Simulates a machine at a realistic rate: each part takes some handling, then its cycle of spindle time
 * (±10 %); spindle seconds are read as they accrue (at each part's end, and for the part in progress at
 * every `run`), so a period never holds more spindle time than it lasted; one reading per part, and an
 * inspection every so many parts. Deterministic for a seed; time is whatever clock the caller advances.
 */
export class MachineSimulator {
  readonly #random: () => number;
  #clock: number;
  /** Spindle time is read up to here. */
  #accrued: number;
  #current: { spinFrom: number; done: number } | undefined;
  #parts = 0;

  constructor(
    readonly profile: MachineProfile,
    start: number,
    seed = 1,
  ) {
    this.#random = seededRandom(seed);
    this.#clock = start;
    this.#accrued = start;
  }

  get parts(): number {
    return this.#parts;
  }

  /** The readings from the last run up to `until` (Unix seconds). */
  run(until: number): Omit<Reading, "index">[] {
    const p = this.profile;
    const out: Omit<Reading, "index">[] = [];
    for (;;) {
      if (this.#current === undefined) {
        const cycle = Math.max(1, Math.round(p.cycleSeconds * (0.9 + 0.2 * this.#random())));
        const spinFrom = this.#clock + p.handlingSeconds;
        this.#current = { spinFrom, done: spinFrom + cycle };
      }
      const { spinFrom, done } = this.#current;
      const from = Math.max(spinFrom, this.#accrued);
      if (done > until) {
        if (until > from) {
          out.push({ at: until, kind: ReadingKind.SpindleSeconds, amount: BigInt(until - from), licenseId: 0 });
          this.#accrued = until;
        }
        return out;
      }
      if (done > from) {
        out.push({ at: done, kind: ReadingKind.SpindleSeconds, amount: BigInt(done - from), licenseId: 0 });
      }
      this.#accrued = done;
      this.#clock = done;
      this.#current = undefined;
      this.#parts += 1;
      const licensed = p.licensedShare > 0 && this.#random() < p.licensedShare;
      out.push({
        at: done,
        kind: licensed ? ReadingKind.LicensedUnits : ReadingKind.Units,
        amount: 1n,
        licenseId: licensed ? p.licenseId : 0,
      });
      if (p.inspectEvery > 0 && this.#parts % p.inspectEvery === 0) {
        out.push({ at: done, kind: ReadingKind.Inspection, amount: 1n, licenseId: 0 });
      }
    }
  }
}
