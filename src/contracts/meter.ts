/**
 * The UsageMeter seen from off-chain: orders with escrow, relaying signed usage reports in packed batches,
 * settlement, disputes and payouts, and proving a raw reading against its recorded report. Every write is
 * simulated first, so a refusal arrives as a TransactionRefusedError naming the contract's custom error.
 */
import { parseEventLogs, type Hex, type TransactionReceipt } from "viem";

import type { KeyKind } from "../core/listing.js";
import { readingVerifierAbi, settlementTokenAbi, usageMeterAbi } from "../generated/abis.js";
import { RejectReasonNames } from "../generated/enums.js";
import { contractEvents } from "../chain/events.js";
import { eventOf, transact, type ChainContext, type MarketAddresses, type Wallet } from "../chain/transact.js";
import { encodeReportBatch } from "../codec/batch.js";
import { foldReportsHash } from "../core/invoice.js";
import type { Reading } from "../core/readings.js";
import { reportDigest, type MeterDomain, type SignedReport } from "../core/report.js";

/** IUsageMeter.RejectReason's names by value (generated from the compiler's AST). */
export const RejectReason = RejectReasonNames;

export interface OrderTerms {
  machineId: bigint;
  tariffVersion: number;
  budget: bigint;
  expiresAt: number;
  disputeWindow: number;
  /** Most charged per `capPeriod` seconds of reported time (0: no cap). */
  capPerPeriod?: bigint;
  capPeriod?: number;
  capability?: Hex;
  /**
   * The version of each licence of the tariff, in its order, as the consumer was quoted (bookingTerms'
   * `licenseVersions`; empty for a tariff without licences): the meter refuses the order if a royalty changed.
   */
  licenseVersions: readonly number[];
}

/** Where a recorded report sits in its order's hash chain (IReadingVerifier.ChainPosition). */
export interface ChainPosition {
  /** The chain's value just before the report was recorded. */
  previous: Hex;
  /** The digests recorded after it, in order. */
  later: Hex[];
  /** The invoice whose reports hash anchors the chain; 0: the order's current reports hash. */
  invoice: number;
}

/** What a relayed batch did, report by report, and what it cost. */
export interface BatchOutcome {
  receipt: TransactionReceipt;
  recorded: number;
  duplicates: number;
  rejected: { orderId: bigint; sequence: number; reason: (typeof RejectReason)[number] }[];
  /** Gas of the transaction per report offered. */
  gasPerReport: number;
}

const ZERO_HASH: Hex = `0x${"00".repeat(32)}`;
const ZERO_REPORTS_HASH: Hex = `0x${"00".repeat(12)}`;

export class UsageMeterClient {
  constructor(
    readonly chain: ChainContext,
    readonly addresses: Pick<MarketAddresses, "token" | "usageMeter" | "readingVerifier">,
  ) {}

  private get meter() {
    return { address: this.addresses.usageMeter, abi: usageMeterAbi } as const;
  }

  /** Where reports for this meter are signed. */
  async domain(): Promise<MeterDomain> {
    return { chainId: await this.chain.publicClient.getChainId(), meter: this.addresses.usageMeter };
  }

  /* ------------------------------------------------------------------ reads */

  async order(orderId: bigint) {
    return this.chain.publicClient.readContract({ ...this.meter, functionName: "getOrder", args: [orderId] });
  }

  async meterOf(orderId: bigint) {
    return this.chain.publicClient.readContract({ ...this.meter, functionName: "meterOf", args: [orderId] });
  }

  async invoice(orderId: bigint, number: number) {
    return this.chain.publicClient.readContract({ ...this.meter, functionName: "invoiceOf", args: [orderId, number] });
  }

  async payableTo(memberId: bigint): Promise<bigint> {
    return this.chain.publicClient.readContract({ ...this.meter, functionName: "payableTo", args: [memberId] });
  }

  async platformFees(): Promise<bigint> {
    return this.chain.publicClient.readContract({ ...this.meter, functionName: "platformFees", args: [] });
  }

  /**
   * Where the meter recorded `signed` in its order's hash chain, from the order's ReportRecorded events (read
   * from `fromBlock`, default 0), anchored at the order's current reports hash; undefined if it was not recorded.
   */
  async chainPosition(signed: SignedReport, fromBlock = 0n): Promise<ChainPosition | undefined> {
    const digest = reportDigest(await this.domain(), signed.report);
    const logs = await contractEvents(this.chain.publicClient, {
      ...this.meter,
      eventName: "ReportRecorded",
      args: { orderId: signed.report.orderId },
      fromBlock,
    });
    const digests = logs.map((log) => log.args.digest!);
    const at = digests.findIndex((d) => d.toLowerCase() === digest.toLowerCase());
    if (at < 0) return undefined;
    return {
      previous: foldReportsHash(ZERO_REPORTS_HASH, digests.slice(0, at)),
      later: digests.slice(at + 1),
      invoice: 0,
    };
  }

  /**
   * Whether `reading` belongs to `signed` and the meter recorded `signed`, checked by the ReadingVerifier: the
   * report's place in its order's hash chain (found in the meter's events from `fromBlock`) and the reading's
   * Merkle proof. A report the meter never recorded proves nothing, however well signed.
   */
  async verifyReading(signed: SignedReport, reading: Reading, proof: readonly Hex[], fromBlock = 0n): Promise<boolean> {
    const position = await this.chainPosition(signed, fromBlock);
    return this.chain.publicClient.readContract({
      address: this.addresses.readingVerifier,
      abi: readingVerifierAbi,
      functionName: "verifyReading",
      args: [
        { ...signed.report, licensedProducts: [...signed.report.licensedProducts] },
        position ?? { previous: ZERO_REPORTS_HASH, later: [], invoice: 0 },
        reading,
        proof,
      ],
    });
  }

  /* ------------------------------------------------------------ consumers */

  /** Approves the budget and opens the order; returns its id. */
  async openOrder(consumer: Wallet, terms: OrderTerms): Promise<{ orderId: bigint; receipt: TransactionReceipt }> {
    await transact(this.chain, consumer, {
      address: this.addresses.token,
      abi: settlementTokenAbi,
      functionName: "approve",
      args: [this.addresses.usageMeter, terms.budget],
    });
    const receipt = await transact(this.chain, consumer, {
      ...this.meter,
      functionName: "openOrder",
      args: [
        {
          machineId: terms.machineId,
          tariffVersion: terms.tariffVersion,
          budget: terms.budget,
          expiresAt: terms.expiresAt,
          disputeWindow: terms.disputeWindow,
          capPerPeriod: terms.capPerPeriod ?? 0n,
          capPeriod: terms.capPeriod ?? 0,
          capability: terms.capability ?? ZERO_HASH,
          licenseVersions: [...terms.licenseVersions],
        },
      ],
    });
    return { orderId: eventOf("openOrder", receipt, usageMeterAbi, "OrderOpened").args.orderId, receipt };
  }

  /** Freezes `amount` of the order's unsettled charges over report `sequence` of the `kind` stream. */
  async dispute(
    consumer: Wallet,
    orderId: bigint,
    kind: KeyKind,
    sequence: number,
    amount: bigint,
    reasonHash: Hex,
  ): Promise<bigint> {
    const receipt = await transact(this.chain, consumer, {
      ...this.meter,
      functionName: "dispute",
      args: [orderId, kind, sequence, amount, reasonHash],
    });
    return eventOf("dispute", receipt, usageMeterAbi, "ReportDisputed").args.disputeId;
  }

  async closeOrder(member: Wallet, orderId: bigint): Promise<TransactionReceipt> {
    return transact(this.chain, member, { ...this.meter, functionName: "closeOrder", args: [orderId] });
  }

  /* --------------------------------------------------------------- relayers */

  /** Submits signed reports as one packed batch; duplicates are skipped and rejections reported, not reverted. */
  async submitReports(relayer: Wallet, reports: readonly SignedReport[]): Promise<BatchOutcome> {
    if (reports.length === 0) throw new RangeError("A batch needs at least one signed report.");
    const receipt = await transact(this.chain, relayer, {
      ...this.meter,
      functionName: "submitReports",
      args: [encodeReportBatch(reports)],
    });
    const logs = parseEventLogs({ abi: usageMeterAbi, logs: receipt.logs });
    return {
      receipt,
      recorded: logs.filter((log) => log.eventName === "ReportRecorded").length,
      duplicates: logs.filter((log) => log.eventName === "ReportDuplicate").length,
      rejected: logs.flatMap((log) =>
        log.eventName === "ReportRejected"
          ? [{ orderId: log.args.orderId, sequence: log.args.sequence, reason: RejectReason[log.args.reason]! }]
          : [],
      ),
      gasPerReport: Number(receipt.gasUsed) / reports.length,
    };
  }

  /** Submits one report; a rejection reverts with its reason. */
  async submitReport(relayer: Wallet, signed: SignedReport): Promise<TransactionReceipt> {
    return transact(this.chain, relayer, {
      ...this.meter,
      functionName: "submitReport",
      args: [{ ...signed.report, licensedProducts: [...signed.report.licensedProducts] }, signed.signature],
    });
  }

  /* ------------------------------------------------------- settlement and payouts */

  /** Settles pending invoices whose window passed and issues the next ones; anyone may call it. */
  async settle(caller: Wallet, orderIds: readonly bigint[]): Promise<TransactionReceipt> {
    return transact(this.chain, caller, { ...this.meter, functionName: "settle", args: [orderIds] });
  }

  /** Settles the orders, then pays out what the caller's member was credited; returns the amount. */
  async settleAndWithdraw(member: Wallet, orderIds: readonly bigint[]): Promise<bigint> {
    const receipt = await transact(this.chain, member, {
      ...this.meter,
      functionName: "settleAndWithdraw",
      args: [orderIds],
    });
    const [paid] = parseEventLogs({ abi: usageMeterAbi, logs: receipt.logs, eventName: "PayoutWithdrawn" });
    return paid?.args.amount ?? 0n;
  }

  async withdraw(member: Wallet): Promise<bigint> {
    const receipt = await transact(this.chain, member, { ...this.meter, functionName: "withdraw", args: [] });
    return eventOf("withdraw", receipt, usageMeterAbi, "PayoutWithdrawn").args.amount;
  }

  async withdrawPlatformFees(operator: Wallet): Promise<bigint> {
    const receipt = await transact(this.chain, operator, {
      ...this.meter,
      functionName: "withdrawPlatformFees",
      args: [],
    });
    return eventOf("withdrawPlatformFees", receipt, usageMeterAbi, "PlatformFeesWithdrawn").args.amount;
  }

  /** Sets the platform fee, in basis points, for orders opened from now on. */
  async setPlatformFee(operator: Wallet, feeBps: number): Promise<TransactionReceipt> {
    return transact(this.chain, operator, { ...this.meter, functionName: "setPlatformFee", args: [feeBps] });
  }

  /** Sets the report grace, in seconds, for orders opened from now on (how long after its expiry an order's late reports land). */
  async setReportGrace(operator: Wallet, seconds: number): Promise<TransactionReceipt> {
    return transact(this.chain, operator, { ...this.meter, functionName: "setReportGrace", args: [seconds] });
  }

  /* --------------------------------------------------------------- auditors */

  /** Resolves a dispute: `refund` goes back to the payer, the rest of the frozen amount is released. */
  async resolveDispute(auditor: Wallet, disputeId: bigint, refund: bigint, reasonHash: Hex) {
    return transact(this.chain, auditor, {
      ...this.meter,
      functionName: "resolveDispute",
      args: [disputeId, refund, reasonHash],
    });
  }
}
