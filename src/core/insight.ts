/**
 * Usage insight for machine owners: how often, how long and for which capabilities each machine was
 * used, and what it earned. It aggregates usage records, the per-report facts that metering records
 * on-chain (one record per accepted usage report, with the capability the order booked).
 */
import type { Hex } from "viem";

import { renderTable } from "../cli/table.js";
import { formatEuro } from "./money.js";
import { capabilityName } from "./vocabulary.js";

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

const hours = (seconds: bigint): string => (Number(seconds) / 3600).toFixed(2);

/** The insight as a table: one row per machine and capability. */
export function renderInsight(
  insights: readonly MachineInsight[],
  machineName: (id: bigint) => string = (id) => `#${id}`,
): string {
  type Row = { insight: MachineInsight; use?: CapabilityUse };
  const rows: Row[] = insights.flatMap((insight) => [
    { insight },
    ...insight.byCapability.map((use) => ({ insight, use })),
  ]);
  return renderTable(
    [
      {
        header: "machine",
        value: (r: Row) =>
          r.use
            ? `  ${r.use.capability === "unspecified" ? "unspecified" : capabilityName(r.use.capability)}`
            : machineName(r.insight.machineId),
      },
      { header: "orders", value: (r) => `${r.use ? r.use.orders : r.insight.orders}`, align: "right" },
      { header: "reports", value: (r) => (r.use ? "" : `${r.insight.reports}`), align: "right" },
      { header: "days", value: (r) => (r.use ? "" : `${r.insight.daysUsed}`), align: "right" },
      { header: "hours", value: (r) => hours(r.use ? r.use.machineSeconds : r.insight.machineSeconds), align: "right" },
      { header: "units", value: (r) => `${r.use ? r.use.units : r.insight.units}`, align: "right" },
      { header: "inspections", value: (r) => (r.use ? "" : `${r.insight.inspections}`), align: "right" },
      {
        header: "utilisation",
        value: (r) =>
          r.use || r.insight.utilisation === undefined ? "" : `${(r.insight.utilisation * 100).toFixed(1)}%`,
        align: "right",
      },
      { header: "earned EUR", value: (r) => (r.use ? "" : formatEuro(r.insight.charged)), align: "right" },
    ],
    rows,
  );
}
