/**
 * Benchmarks: gas of the everyday transactions, measured on real transactions on the in-process network
 * with the production build profile, each beside its baseline measured in the same run; voucher
 * verification throughput beside its baselines, and the payment round trip between two processes. Writes
 * bench/results.json (shape: ../shared/BENCH.md) and prints the same figures as a table.
 *
 *   npm run bench
 *
 * Gas figures are deterministic, so the committed results.json doubles as a gas snapshot: CI measures
 * again and bench/compare-gas.ts fails on any difference.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

import hre, { network } from "hardhat";

import { renderTable } from "../src/cli/table.js";
import { measureChannelsGas } from "./channels-gas.js";
import { measureGatewayEndToEnd } from "./gateway-e2e.js";
import { measureGatewayIngest, measureStatusDuringJunk } from "./gateway-ingest.js";
import { measureMeterGas } from "./meter-gas.js";
import { measurePaymentLatency } from "./payment-latency.js";
import { measureRegistryGas } from "./registry-gas.js";
import { measureSettlementGas } from "./settlement-gas.js";
import { measureVoucherThroughput } from "./voucher-throughput.js";

const connection = await network.create();
const profile = hre.globalOptions.buildProfile ?? "default";
const solidity = hre.config.solidity.profiles[profile];
const compiler = solidity?.compilers[0];
if (compiler === undefined) throw new Error(`Build profile "${profile}" has no compiler configured.`);
const settings = compiler.settings as { evmVersion?: string; optimizer?: { enabled?: boolean; runs?: number } };

// The meter runs last: it moves the chain's clock forward to a fixed time (see bench/meter-gas.ts).
const gas = { ...(await measureSettlementGas(connection)), ...(await measureRegistryGas(connection)) };
const meter = await measureMeterGas(connection);
Object.assign(gas, meter.gas);
// After the meter: the channels expire at a fixed time after the meter's clock.
Object.assign(gas, await measureChannelsGas(connection));
const scaling = { ...meter.scaling };
// Rates and latencies last, with no transactions running beside them.
const throughput: Record<string, number> = { ...measureVoucherThroughput(), ...(await measureGatewayIngest()) };
const latencyMs: Record<string, number> = { ...(await measurePaymentLatency()), ...(await measureStatusDuringJunk()) };
// Device to confirmed charge on anvil (a block a second), after the rates: it starts its own node.
Object.assign(throughput, await measureGatewayEndToEnd());

const results = {
  meta: {
    date: new Date().toISOString(),
    node: process.version,
    solc: compiler.version,
    evm: settings.evmVersion ?? "default",
    optimizerRuns: settings.optimizer?.enabled === true ? (settings.optimizer.runs ?? 200) : 0,
    buildProfile: profile,
    network: connection.networkName,
  },
  gas,
  throughput,
  latencyMs,
  scaling,
};

// BENCH_OUT lets CI write a fresh measurement beside the committed snapshot and compare the two.
const file = process.env.BENCH_OUT || fileURLToPath(new URL("results.json", import.meta.url));
await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);

console.log(
  renderTable(
    [
      { header: "gas", value: (row: [string, number]) => row[0] },
      { header: "used", value: (row: [string, number]) => row[1].toLocaleString("en-US"), align: "right" },
    ],
    Object.entries(gas),
    `Gas (solc ${compiler.version}, evm ${results.meta.evm}, optimizer runs ${results.meta.optimizerRuns})`,
  ),
);
for (const [key, points] of Object.entries(scaling)) {
  console.log("");
  console.log(
    renderTable(
      [
        { header: "batch size", value: (row: [number, number]) => `${row[0]}`, align: "right" },
        { header: "gas per report", value: (row: [number, number]) => row[1].toLocaleString("en-US"), align: "right" },
      ],
      points,
      `Scaling: ${key}`,
    ),
  );
}
const overhead = gas["token.transfer"]! - gas["oz.transfer"]!;
console.log(
  `\nSettlementToken transfer costs ${overhead.toLocaleString("en-US")} gas more than a plain OpenZeppelin ERC-20 transfer.`,
);
const rates = (title: string, rows: [string, number][], unit: string) =>
  console.log(
    `\n${renderTable(
      [
        { header: title, value: (row: [string, number]) => row[0] },
        { header: unit, value: (row: [string, number]) => row[1].toLocaleString("en-US"), align: "right" },
      ],
      rows,
    )}`,
  );
rates("throughput", Object.entries(throughput), "per second");
const verify = throughput["voucher.verify"]!;
console.log(
  `Voucher verification: ${(verify / throughput["voucher.verify.ethersBaseline"]!).toFixed(1)}x ethers.verifyTypedData, ` +
    `${((100 * verify) / throughput["secp256k1.recoverLimit"]!).toFixed(0)}% of raw native recovery + keccak.`,
);
rates("latency", Object.entries(latencyMs), "ms");
const times = (figure: string) =>
  (latencyMs[`payment.roundTrip.${figure}`]! / latencyMs[`payment.roundTrip.baseline.${figure}`]!).toFixed(2);
console.log(
  `Payment round trip: ${times("p50")}x its baseline at p50, ${times("cpu")}x in CPU per round trip (goal: at most 2x).`,
);
console.log(`Wrote ${file}`);
