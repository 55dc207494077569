/**
 * The device agent as a long-running service: checks its setup (./bootstrap.ts), then runs the working loop
 * (./runner.ts) until it stops on its report count, its duration, its stop signal (after reporting what is open
 * and sending what the gateway has not answered), or every order stuck on a refusal no period cures. It resolves
 * once the gateway answered everything, and rejects saying what is left when reports stay unanswered or refused
 * (exit status 1).
 */
import type { ServiceContext } from "../runtime/lifecycle.js";
import { logEvent } from "../runtime/log.js";
import { DeviceAgent } from "./agent.js";
import { checkClocks, connect, prepareOrders, type DeviceSetup, type Simulation } from "./bootstrap.js";
import { openDeviceStore } from "./prove.js";
import { DeviceRunner } from "./runner.js";

export interface DeviceServiceOptions extends DeviceSetup {
  /** The device's SQLite file (created if missing). */
  store: string;
  simulation: Simulation;
  /** Seconds between report cuts; also cut once a stream holds `reportReadings` open readings. */
  reportEverySeconds: number;
  reportReadings?: number;
  /** Stop after cutting this many reports, or after this many seconds. */
  maxReports?: number;
  durationSeconds?: number;
  tickMs: number;
  /** When stopping, how long to keep sending what the gateway has not answered. */
  drainSeconds: number;
}

/** Runs the device agent until it stops (see above). */
export async function runDeviceAgent(options: DeviceServiceOptions, { signal, log }: ServiceContext): Promise<void> {
  const connected = await connect(options);
  const { domain, clock } = connected;
  const clocks = await checkClocks(options.gateway, connected, log);
  const store = openDeviceStore(options.store, false);
  try {
    const { deviceKey, inspectorKey } = options;
    const agent = new DeviceAgent({ store, domain, deviceKey, inspectorKey, log: (text) => log.info(text) });
    const inspections = options.inspectorKey !== undefined;
    const { running, ready } = prepareOrders(store, options.store, connected, await clock.now(), {
      ...options.simulation,
      inspections,
    });
    const runner = new DeviceRunner({
      ...{ agent, gateway: options.gateway, orders: running, tickMs: options.tickMs },
      clock: () => clock.now(),
      observeChainTime: (chainTime) => clock.observe(chainTime),
      ...{ reportEverySeconds: options.reportEverySeconds, reportReadings: options.reportReadings },
      ...{ maxReports: options.maxReports, drainMs: options.drainSeconds * 1000 },
      durationMs: options.durationSeconds === undefined ? undefined : options.durationSeconds * 1000,
      event: (name, fields) => logEvent(log, name, fields),
      log: (text) => log.info(text),
    });
    signal.addEventListener("abort", () => {
      log.info("stopping: reporting what is open, then sending what the gateway has not answered");
      runner.stop();
    });
    logEvent(log, "ready", {
      ...{ store: options.store, gateway: options.gateway, chainId: domain.chainId, meter: domain.meter },
      ...{ registry: connected.machineRegistry ?? null, device: options.deviceKey.address },
      ...{ inspector: options.inspectorKey?.address ?? null, clock: clocks, ...options.simulation },
      ...{ unacknowledged: store.unacknowledged().length, orders: ready },
    });
    const summary = await runner.run();
    logEvent(log, "done", { ...summary, counters: agent.counters });
    if (summary.unacknowledged > 0) {
      throw new Error(
        `the gateway at ${options.gateway} has not answered ${summary.unacknowledged} reports; ` +
          `they stay in ${options.store} and are sent at the next start.`,
      );
    }
    if (summary.stuck > 0) {
      throw new Error(
        `${summary.stuck} reports stay refused by the gateway (see the "refused" and "reissued" lines); ` +
          `${options.store} keeps them with its words, and their streams go on once they are cured.`,
      );
    }
  } finally {
    store.close();
  }
}
