/**
 * The UsageMeter seen from off-chain: orders with escrow, relaying signed usage reports in packed batches,
 * settlement, disputes and payouts, and proving a raw reading against its recorded report. Every write is
 * simulated first, so a refusal arrives as a TransactionRefusedError naming the contract's custom error.
 */
import { parseEventLogs, type Hex, type TransactionReceipt } from "viem";

import type { KeyKind } from "../broker/listing.js";
import { readingVerifierAbi, settlementTokenAbi, usageMeterAbi } from "../generated/abis.js";
import { eventOf, transact, type ChainContext, type MarketAddresses, type Wallet } from "../sdk/transact.js";
import { encodeReportBatch } from "./batch.js";
import type { Reading } from "./readings.js";
import type { MeterDomain, SignedReport } from "./report.js";

/** Mirrors IUsageMeter.RejectReason; keep the order identical. */
export const RejectReason = [
  "None",
  "OrderNotOpen",
  "InvalidSignature",
  "UnknownSigner",
  "SignerOfAnotherMachine",
  "SignerNotValidAtPeriodEnd",
  "PeriodEndsBeforeStart",
  "PeriodInFuture",
  "PeriodAfterExpiry",
  "SequenceGap",
  "CountsNotAllowedForSigner",
  "LicensedProductsMismatch",
  "MoreSecondsThanThePeriod",
  "CountsTooLarge",
] as const;

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

  /** Whether `reading` belongs to the recorded report `signed`, by its Merkle proof, checked by the ReadingVerifier. */
  async verifyReading(signed: SignedReport, reading: Reading, proof: readonly Hex[]): Promise<boolean> {
    return this.chain.publicClient.readContract({
      address: this.addresses.readingVerifier,
      abi: readingVerifierAbi,
      functionName: "verifyReading",
      args: [
        { ...signed.report, licensedProducts: [...signed.report.licensedProducts] },
        signed.signature,
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
