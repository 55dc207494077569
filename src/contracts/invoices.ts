/**
 * Invoices read from the chain: the meter's order and invoice records, the events that bound the
 * invoice's reports, the registry's tariff and the royalties booked, and the signed reports recovered from
 * the inputs of the transactions that recorded them. The document itself (checks, lines, totals) is built by
 * src/core/invoice.ts from what is read here.
 */
import { decodeFunctionData, type Address, type Hex, type PublicClient } from "viem";

import { machineRegistryAbi, usageMeterAbi } from "../generated/abis.js";
import { contractEvents } from "../chain/events.js";
import { decodeReportBatch } from "../codec/batch.js";
import {
  invoiceDocument,
  InvoiceVerificationError,
  ZERO_REPORTS_HASH,
  type InvoiceDocument,
  type OrderRecord,
  type RecordedReport,
  type ReportKind,
} from "../core/invoice.js";
import { KeyKind } from "../core/listing.js";
import { reportDigest, reportSigner, type MeterDomain, type SignedReport } from "../core/report.js";
import type { Tariff } from "../core/tariff.js";

export interface LoadInvoiceOptions {
  /** The MachineRegistry the meter uses (the meter does not expose it): tariff, royalties and key kinds. */
  registry: Address;
  /** A block at or before the order's opening (default: the first block); bounds the log queries. */
  fromBlock?: bigint;
}

/**
 * Reads invoice `number` of `orderId`, recovers the signed reports it covers from the transactions that
 * recorded them, checks them against the invoice's reports hash and prices them line by line.
 */
export async function loadInvoice(
  client: PublicClient,
  meterAddress: Address,
  orderId: bigint,
  number: number,
  options: LoadInvoiceOptions,
): Promise<InvoiceDocument> {
  const meter = { address: meterAddress, abi: usageMeterAbi } as const;
  const order = await client.readContract({ ...meter, functionName: "getOrder", args: [orderId] });
  if (order.status === 0) throw new Error(`No order ${orderId} on the meter at ${meterAddress}; check the order id.`);
  if (number < 1 || number > order.invoiceCount) {
    throw new Error(
      `Order ${orderId} has ${order.invoiceCount} invoice(s), numbered from 1; there is no invoice ${number} of order ${orderId}.`,
    );
  }
  const invoice = await client.readContract({ ...meter, functionName: "invoiceOf", args: [orderId, number] });
  const previousReportsHash =
    number === 1
      ? ZERO_REPORTS_HASH
      : (await client.readContract({ ...meter, functionName: "invoiceOf", args: [orderId, number - 1] })).reportsHash;
  const blocks = await invoiceBlocks(client, meterAddress, orderId, number, options.fromBlock ?? 0n);
  const { tariff, royalties } = await bookedPricing(client, options.registry, orderId, order, blocks.opened);
  const domain: MeterDomain = { chainId: await client.getChainId(), meter: meterAddress };
  const recorded = await recordedReports(client, domain, options.registry, orderId, order.machineId, blocks);
  return invoiceDocument({
    chainId: domain.chainId,
    meter: meterAddress,
    orderId,
    number,
    order,
    invoice,
    previousReportsHash,
    tariff,
    royalties,
    recorded,
    issuedInBlock: blocks.issued,
  });
}

/** The blocks the order was opened and the invoice issued in, from the meter's events. */
async function invoiceBlocks(
  client: PublicClient,
  meterAddress: Address,
  orderId: bigint,
  number: number,
  fromBlock: bigint,
): Promise<{ opened: bigint; issued: bigint }> {
  const meter = { address: meterAddress, abi: usageMeterAbi } as const;
  const [opened] = await contractEvents(client, { ...meter, eventName: "OrderOpened", args: { orderId }, fromBlock });
  const [issued] = await contractEvents(client, {
    ...meter,
    eventName: "InvoiceIssued",
    args: { orderId, number },
    fromBlock,
  });
  if (opened === undefined || issued === undefined) {
    throw new Error(
      `The events of invoice ${number} of order ${orderId} are not in the logs from block ${fromBlock}: ` +
        "query a node that keeps them, from a block before the order opened.",
    );
  }
  return { opened: opened.blockNumber, issued: issued.blockNumber };
}

/** The tariff the order booked, and the royalties the registry locked for it at the opening block. */
async function bookedPricing(
  client: PublicClient,
  registryAddress: Address,
  orderId: bigint,
  order: OrderRecord,
  openedInBlock: bigint,
): Promise<{ tariff: Tariff; royalties: readonly bigint[] }> {
  const registry = { address: registryAddress, abi: machineRegistryAbi } as const;
  const tariff: Tariff = await client.readContract({
    ...registry,
    functionName: "tariffOf",
    args: [order.machineId, order.tariffVersion],
  });
  // Royalties were locked at opening; the registry's booking terms at that block are what the order got.
  const booked = await client.readContract({
    ...registry,
    functionName: "bookingTerms",
    args: [order.machineId],
    blockNumber: openedInBlock,
  });
  if (booked.tariffVersion !== order.tariffVersion) {
    throw new Error(
      `Order ${orderId} was booked under tariff v${order.tariffVersion}, but the registry at ${registryAddress} ` +
        `offered v${booked.tariffVersion} at the opening block; is this the meter's registry?`,
    );
  }
  return { tariff, royalties: booked.royalties };
}

/**
 * Every report the meter recorded for the order between its opening and the invoice, in recording order,
 * each with its stream (device or inspector) by the registry's record of its signer's key.
 */
async function recordedReports(
  client: PublicClient,
  domain: MeterDomain,
  registryAddress: Address,
  orderId: bigint,
  machineId: bigint,
  blocks: { opened: bigint; issued: bigint },
): Promise<RecordedReport[]> {
  const logs = await contractEvents(client, {
    address: domain.meter,
    abi: usageMeterAbi,
    eventName: "ReportRecorded",
    args: { orderId },
    fromBlock: blocks.opened,
    toBlock: blocks.issued,
  });
  const signedReport = recordedReportFinder(client, domain);
  const kinds = new Map<Address, ReportKind>();
  const recorded: RecordedReport[] = [];
  for (const log of logs) {
    const { digest, charge } = log.args;
    if (digest === undefined || charge === undefined) continue;
    const signed = await signedReport(log.transactionHash, digest, orderId);
    const signer = await reportSigner(domain, signed);
    let kind = kinds.get(signer);
    if (kind === undefined) {
      const key = await client.readContract({
        address: registryAddress,
        abi: machineRegistryAbi,
        functionName: "signerKey",
        args: [signer],
      });
      if (key.machineId !== machineId) {
        throw new InvoiceVerificationError(
          `Report ${digest} was signed by ${signer}, which the registry does not hold as a key of machine ${machineId}.`,
        );
      }
      kind = key.kind === KeyKind.Inspector ? "inspector" : "device";
      kinds.set(signer, kind);
    }
    recorded.push({ signed, kind, digest, charge, transactionHash: log.transactionHash });
  }
  return recorded;
}

/**
 * Finds the signed report a ReportRecorded event names (by its transaction and digest) in the input of the
 * transaction that recorded it; reads each transaction once.
 */
export function recordedReportFinder(
  client: PublicClient,
  domain: MeterDomain,
): (transactionHash: Hex, digest: Hex, orderId: bigint) => Promise<SignedReport> {
  const inputs = new Map<Hex, Map<Hex, SignedReport>>();
  return async (transactionHash, digest, orderId) => {
    let byDigest = inputs.get(transactionHash);
    if (byDigest === undefined) {
      byDigest = await reportsOfTransaction(client, domain, transactionHash);
      inputs.set(transactionHash, byDigest);
    }
    const signed = byDigest.get(digest);
    if (signed === undefined) {
      throw new InvoiceVerificationError(
        `Transaction ${transactionHash} recorded report ${digest} of order ${orderId}, but its input holds no ` +
          "report with that digest (was it relayed through another contract?).",
      );
    }
    return signed;
  };
}

/** The reports in a recording transaction's input (a `submitReports` or `submitReport` call), by digest. */
async function reportsOfTransaction(
  client: PublicClient,
  domain: MeterDomain,
  hash: Hex,
): Promise<Map<Hex, SignedReport>> {
  const tx = await client.getTransaction({ hash });
  if (tx.to?.toLowerCase() !== domain.meter.toLowerCase()) {
    throw new InvoiceVerificationError(
      `Transaction ${hash} recorded reports but was sent to ${tx.to}, not the meter; reports relayed through ` +
        "another contract cannot be read from the transaction input.",
    );
  }
  const call = decodeFunctionData({ abi: usageMeterAbi, data: tx.input });
  let reports: SignedReport[];
  if (call.functionName === "submitReports") {
    reports = decodeReportBatch(call.args[0]);
  } else if (call.functionName === "submitReport") {
    const [report, signature] = call.args;
    reports = [{ report: { ...report, licensedProducts: [...report.licensedProducts] }, signature }];
  } else {
    throw new InvoiceVerificationError(`Transaction ${hash} calls ${call.functionName}, which records no reports.`);
  }
  return new Map(reports.map((signed) => [reportDigest(domain, signed.report), signed]));
}
