/**
 * Compares the gas figures of a fresh benchmark run with the committed snapshot (bench/results.json).
 * Gas on the in-process network is deterministic, so any difference means a change moved gas: rerun
 * `npm run bench` and commit the new figures if the change is intended.
 *
 *   npx tsx bench/compare-gas.ts <fresh.json> [snapshot.json]
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

import { renderTable } from "../src/cli/table.js";

type Results = { gas: Record<string, number> };

const [freshFile, snapshotFile = fileURLToPath(new URL("results.json", import.meta.url))] = process.argv.slice(2);
if (freshFile === undefined) {
  console.error("Pass the fresh results file: npx tsx bench/compare-gas.ts <fresh.json> [snapshot.json]");
  process.exit(2);
}
const read = async (file: string): Promise<Results> => JSON.parse(await readFile(file, "utf8")) as Results;
const [fresh, snapshot] = await Promise.all([read(freshFile), read(snapshotFile)]);

const keys = [...new Set([...Object.keys(snapshot.gas), ...Object.keys(fresh.gas)])].sort();
const rows = keys.map((key) => ({ key, before: snapshot.gas[key], now: fresh.gas[key] }));
type Row = (typeof rows)[number];
const show = (value: number | undefined): string => (value === undefined ? "-" : value.toLocaleString("en-US"));
console.log(
  renderTable(
    [
      { header: "gas", value: (row: Row) => row.key },
      { header: "snapshot", value: (row: Row) => show(row.before), align: "right" },
      { header: "now", value: (row: Row) => show(row.now), align: "right" },
      { header: "", value: (row: Row) => (row.before === row.now ? "" : "CHANGED") },
    ],
    rows,
  ),
);
const changed = rows.filter((row) => row.before !== row.now);
if (changed.length > 0) {
  console.error(
    `\n${changed.length} gas figure(s) differ from bench/results.json. If the change is intended, ` +
      `run \`npm run bench\` and commit bench/results.json.`,
  );
  process.exitCode = 1;
} else {
  console.log("\nGas matches the committed snapshot.");
}
