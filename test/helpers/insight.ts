/** Usage records of two machines over two days, for the insight (test/core/insight.ts) and its table. */
import type { UsageRecord } from "../../src/core/insight.js";
import { parseEuro } from "../../src/core/money.js";
import { capabilityTag } from "../../src/core/vocabulary.js";

export const DAY = 86_400;
export const T0 = 1_795_000_000 - (1_795_000_000 % DAY); // midnight UTC
export const LASER = capabilityTag("laser-cutting");
export const ENGRAVE = capabilityTag("laser-engraving");

export const record = (overrides: Partial<UsageRecord>): UsageRecord => ({
  machineId: 1n,
  orderId: 1n,
  periodStart: T0 + 3600,
  periodEnd: T0 + 7200,
  machineSeconds: 3600n,
  units: 10n,
  inspections: 0,
  charged: parseEuro("48"),
  ...overrides,
});

/** Machine 1: order 1 (laser cutting, two reports on day one), order 2 (engraving, day two); machine 2: order 3. */
export const records: UsageRecord[] = [
  record({ orderId: 1n, capability: LASER }),
  record({ orderId: 1n, capability: LASER, periodStart: T0 + 7200, periodEnd: T0 + 9000, machineSeconds: 1800n }),
  record({
    orderId: 2n,
    capability: ENGRAVE,
    periodStart: T0 + DAY,
    periodEnd: T0 + DAY + 600,
    machineSeconds: 600n,
    inspections: 2,
  }),
  record({ machineId: 2n, orderId: 3n, machineSeconds: 7200n, units: 0n, charged: parseEuro("110") }),
];
