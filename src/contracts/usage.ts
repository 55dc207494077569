/**
 * The usage records an owner's insight (src/core/insight.ts) aggregates, read from the meter: each
 * recorded report with the machine and the capability its order booked (OrderOpened), its counts (from
 * the signed report in the recording transaction's input) and what it was charged (ReportRecorded).
 */
import { zeroHash, type Address, type Hex, type PublicClient } from "viem";

import type { UsageRecord } from "../core/insight.js";
import { usageMeterAbi } from "../generated/abis.js";
import { contractEvents } from "../chain/events.js";
import { recordedReportFinder } from "./invoices.js";
import type { MeterDomain } from "../core/report.js";

export interface UsageRecordsOptions {
  /** Only this machine's orders (default: every machine's). */
  machineId?: bigint;
  /** Where to start reading logs (default: the first block). */
  fromBlock?: bigint;
}

/** Every report the meter recorded for the machine(s), in recording order. */
export async function usageRecords(
  client: PublicClient,
  meterAddress: Address,
  options: UsageRecordsOptions = {},
): Promise<UsageRecord[]> {
  const read = { address: meterAddress, abi: usageMeterAbi } as const;
  const fromBlock = options.fromBlock ?? 0n;
  const opened = await contractEvents(client, {
    ...read,
    eventName: "OrderOpened",
    args: options.machineId === undefined ? {} : { machineId: options.machineId },
    fromBlock,
  });
  const orders = new Map<bigint, { machineId: bigint; capability?: Hex }>();
  for (const { args } of opened) {
    if (args.orderId === undefined || args.machineId === undefined) continue;
    orders.set(args.orderId, {
      machineId: args.machineId,
      ...(args.capability !== undefined && args.capability !== zeroHash ? { capability: args.capability } : {}),
    });
  }
  if (orders.size === 0) return [];
  const logs = await contractEvents(client, {
    ...read,
    eventName: "ReportRecorded",
    args: { orderId: [...orders.keys()] },
    fromBlock,
  });
  const domain: MeterDomain = { chainId: await client.getChainId(), meter: meterAddress };
  const signedReport = recordedReportFinder(client, domain);
  const records: UsageRecord[] = [];
  for (const log of logs) {
    const { orderId, digest, charge } = log.args;
    const order = orderId === undefined ? undefined : orders.get(orderId);
    if (orderId === undefined || order === undefined || digest === undefined || charge === undefined) continue;
    const { report } = await signedReport(log.transactionHash, digest, orderId);
    records.push({
      machineId: order.machineId,
      orderId: report.orderId,
      ...(order.capability === undefined ? {} : { capability: order.capability }),
      periodStart: report.periodStart,
      periodEnd: report.periodEnd,
      machineSeconds: report.machineSeconds,
      // Licensed products are counted in units too (src/core/readings.ts `totals`).
      units: report.units,
      inspections: report.inspections,
      charged: charge,
    });
  }
  return records;
}
