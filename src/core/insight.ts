/**
 * Usage insight for machine owners: how often, how long and for which capabilities each machine was
 * used, and what it earned. It aggregates usage records, the per-report facts that metering records
 * on-chain (one record per accepted usage report, with the capability the order booked): pure, the records
 * are read by src/contracts/usage.ts and the table is drawn by src/cli/render/insight.ts.
 */
import type { Hex } from "viem";

export interface UsageRecord {
  machineId: bigint;
  orderId: bigint;
  /** The capability the order booked the machine for, if it named one. */
  capability?: Hex;
  /** Unix seconds. */
  periodStart: number;
  periodEnd: number;
  machineSeconds: bigint;
  units: bigint;
  inspections: number;
  /** What the report was charged, in base units. */
  charged: bigint;
}

export interface CapabilityUse {
  capability: Hex | "unspecified";
  orders: number;
  machineSeconds: bigint;
  units: bigint;
}

export interface MachineInsight {
  machineId: bigint;
  orders: number;
  reports: number;
  /** Distinct calendar days (UTC) with usage. */
  daysUsed: number;
  machineSeconds: bigint;
  units: bigint;
  inspections: number;
  charged: bigint;
  firstUse: number;
  lastUse: number;
  /** Machine seconds over the window's length, 0..1 (undefined without a window). */
  utilisation?: number;
  byCapability: CapabilityUse[];
}

export interface InsightWindow {
  /** Unix seconds, inclusive. */
  from: number;
  /** Unix seconds, exclusive. */
  to: number;
}

const DAY = 86_400;

/**
 * Per machine (busiest first): orders, reports, days used, machine seconds, units, inspections, revenue,
 * first and last use, utilisation over the window, and the same per capability. With a window, only
 * records whose period ends inside it count.
 */
export function usageInsight(records: readonly UsageRecord[], window?: InsightWindow): MachineInsight[] {
  if (window !== undefined && !(window.to > window.from)) {
    throw new RangeError(`The insight window must end after it starts (from ${window.from}, to ${window.to}).`);
  }
  const machines = new Map<
    bigint,
    {
      insight: MachineInsight;
      orders: Set<bigint>;
      days: Set<number>;
      capabilities: Map<string, CapabilityUse & { ids: Set<bigint> }>;
    }
  >();
  for (const record of records) {
    if (record.periodEnd < record.periodStart) {
      throw new RangeError(
        `Usage record of order ${record.orderId} ends (${record.periodEnd}) before it starts (${record.periodStart}).`,
      );
    }
    if (window !== undefined && (record.periodEnd < window.from || record.periodEnd >= window.to)) continue;
    let entry = machines.get(record.machineId);
    if (entry === undefined) {
      entry = {
        insight: {
          machineId: record.machineId,
          orders: 0,
          reports: 0,
          daysUsed: 0,
          machineSeconds: 0n,
          units: 0n,
          inspections: 0,
          charged: 0n,
          firstUse: record.periodStart,
          lastUse: record.periodEnd,
          byCapability: [],
        },
        orders: new Set(),
        days: new Set(),
        capabilities: new Map(),
      };
      machines.set(record.machineId, entry);
    }
    const insight = entry.insight;
    insight.reports += 1;
    insight.machineSeconds += record.machineSeconds;
    insight.units += record.units;
    insight.inspections += record.inspections;
    insight.charged += record.charged;
    insight.firstUse = Math.min(insight.firstUse, record.periodStart);
    insight.lastUse = Math.max(insight.lastUse, record.periodEnd);
    entry.orders.add(record.orderId);
    for (let day = Math.floor(record.periodStart / DAY); day <= Math.floor(record.periodEnd / DAY); day++) {
      entry.days.add(day);
    }
    const key = record.capability ?? "unspecified";
    let use = entry.capabilities.get(key);
    if (use === undefined) {
      use = { capability: key, orders: 0, machineSeconds: 0n, units: 0n, ids: new Set() };
      entry.capabilities.set(key, use);
    }
    use.ids.add(record.orderId);
    use.machineSeconds += record.machineSeconds;
    use.units += record.units;
  }

  const result: MachineInsight[] = [];
  for (const { insight, orders, days, capabilities } of machines.values()) {
    insight.orders = orders.size;
    insight.daysUsed = days.size;
    if (window !== undefined) insight.utilisation = Number(insight.machineSeconds) / (window.to - window.from);
    insight.byCapability = [...capabilities.values()]
      .map(({ ids, ...use }) => ({ ...use, orders: ids.size }))
      .sort((a, b) => (a.machineSeconds === b.machineSeconds ? 0 : a.machineSeconds > b.machineSeconds ? -1 : 1));
    result.push(insight);
  }
  return result.sort((a, b) =>
    a.machineSeconds === b.machineSeconds
      ? Number(a.machineId - b.machineId)
      : a.machineSeconds > b.machineSeconds
        ? -1
        : 1,
  );
}
