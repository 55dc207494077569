/** The owner's usage insight (src/core/insight.ts) as a table: one row per machine and per capability. */
import type { CapabilityUse, MachineInsight } from "../../core/insight.js";
import { formatEuro } from "../../core/money.js";
import { capabilityName } from "../../core/vocabulary.js";
import { renderTable } from "../table.js";

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
