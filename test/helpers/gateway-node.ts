/**
 * A stand-in for the node the gateway reads, for tests of the gateway in process: it knows one device key
 * (machine 1) and one open order (1), counts what it is asked, and can be taken down (its reads then fail as
 * viem's do when the node does not answer). With reports signed by that key, or another.
 */
import { getAddress, type Address, type Hex, type PublicClient } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { reportToJson, type ReportJson } from "../../src/codec/report-wire.js";
import type { UsageReport } from "../../src/core/report.js";
import { ReportSigner } from "../../src/crypto/report-digest.js";

/** The node and reports of one device key, with its own key and clock. */
export function oneDeviceNode() {
  const DOMAIN = { chainId: 31337, meter: getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3") as Address };
  const DEVICE_KEY = generatePrivateKey();
  const DEVICE = privateKeyToAccount(DEVICE_KEY).address.toLowerCase();
  const NOW = Math.floor(Date.now() / 1000);

  /** A node that knows one device key (machine 1) and one open order (1), and counts what it is asked. */
  function countingNode(): { client: PublicClient; reads: Record<string, number>; down: { now: boolean } } {
    const reads: Record<string, number> = {};
    const down = { now: false };
    // What viem throws when the node does not answer.
    const unanswered = () =>
      Object.assign(new Error("HTTP request failed. URL: http://127.0.0.1:8545"), { name: "HttpRequestError" });
    const readContract = async (call: { functionName: string; args: readonly unknown[] }) => {
      if (down.now) throw unanswered();
      reads[call.functionName] = (reads[call.functionName] ?? 0) + 1;
      if (call.functionName === "signerKey") {
        const known = String(call.args[0]).toLowerCase() === DEVICE;
        return { machineId: known ? 1n : 0n, validFrom: 0, validUntil: 0, kind: 0 };
      }
      if (call.functionName === "getOrder") {
        const known = call.args[0] === 1n;
        return { status: known ? 1 : 0, machineId: 1n, expiresAt: NOW + 86400, licenseCount: 0, openedAt: NOW - 3600 };
      }
      if (call.functionName === "meterOf") {
        return { deviceSequence: 0, inspectorSequence: 0, devicePeriodEnd: NOW - 3600, inspectorPeriodEnd: NOW - 3600 };
      }
      throw new Error(`unexpected read ${call.functionName}`);
    };
    // The chain's clock: its latest block, a second old.
    const getBlock = async () => {
      if (down.now) throw unanswered();
      reads.getBlock = (reads.getBlock ?? 0) + 1;
      return { timestamp: BigInt(Math.floor(Date.now() / 1000) - 1), number: 1n, gasLimit: 30_000_000n };
    };
    return { client: { readContract, getBlock } as unknown as PublicClient, reads, down };
  }

  function report(fields: Partial<UsageReport> = {}): UsageReport {
    return {
      orderId: 1n,
      sequence: 1,
      periodStart: NOW - 600,
      periodEnd: NOW - 60,
      machineSeconds: 500n,
      units: 3n,
      inspections: 0,
      licensedProducts: [],
      readingsRoot: `0x${"ab".repeat(32)}`,
      ...fields,
    };
  }

  const signed = (fields: Partial<UsageReport> = {}, key: Hex = DEVICE_KEY): ReportJson =>
    reportToJson(new ReportSigner(DOMAIN, key).sign(report(fields)));

  return { DOMAIN, DEVICE_KEY, NOW, countingNode, report, signed };
}
