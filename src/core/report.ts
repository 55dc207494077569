/**
 * Usage reports as devices sign them: EIP-712 typed data over the meter's domain (chain id and meter
 * address). `usageReportFields` is the one definition of a report's shape: the TypeScript type, the typed
 * data, the JSON wire form (src/codec/report-wire.ts), the packed batch (src/codec/batch.ts) and the fast
 * digest (src/crypto/report-digest.ts) come from it; tests hold it equal to the Solidity struct
 * (contracts/types/Metering.sol) and the type string of contracts/libraries/UsageReportHash.sol.
 */
import {
  hashTypedData,
  recoverTypedDataAddress,
  type Address,
  type Hex,
  type LocalAccount,
  type TypedDataDomain,
} from "viem";

import { eip712Fields, keyOf, shapeOf, typedMessage, type MessageOf } from "./message.js";

/**
 * A device's usage report for an order. A device key signs machine seconds, units and licensed products; an
 * inspector key signs inspections. Wallets show every field.
 */
export const usageReportFields = [
  { name: "orderId", type: "uint64" },
  /** The next number of the signer kind's stream for the order: 1, 2, 3, ... */
  { name: "sequence", type: "uint32" },
  /** Unix seconds; the report is judged as signed at `periodEnd`. */
  { name: "periodStart", type: "uint40" },
  { name: "periodEnd", type: "uint40" },
  { name: "machineSeconds", type: "uint64" },
  { name: "units", type: "uint64" },
  { name: "inspections", type: "uint32" },
  /** Per licence of the order's tariff, in its order; empty = none. */
  { name: "licensedProducts", type: "uint64[]" },
  /** Merkle root over the raw readings the device keeps (src/core/readings.ts). */
  { name: "readingsRoot", type: "bytes32" },
] as const;

export type UsageReport = MessageOf<typeof usageReportFields>;

/** The EIP-712 types of a usage report, for viem and wallets. */
export const usageReportTypes = { UsageReport: eip712Fields(usageReportFields) } as const;

/**
 * The packed form `UsageMeter.submitReports` reads, from the table: each field big-endian in its type's width,
 * an array as a one-byte count and then its entries; the signature (r, s, v) follows.
 */
export const PACKED_REPORT_LAYOUT: readonly PackedField[] = usageReportFields.map((field) => {
  const { kind, bits, number, array } = shapeOf(field.type);
  return { key: keyOf(field) as keyof UsageReport, bytes: bits / 8, array, number, hex: kind !== "uint" };
});

export interface PackedField {
  key: keyof UsageReport;
  /** The width of the field, or of each entry of an array. */
  bytes: number;
  array: boolean;
  /** A number in TypeScript (else a bigint, or hex). */
  number: boolean;
  /** Hex in TypeScript (bytes32). */
  hex: boolean;
}

/** The usage meter's EIP-712 domain: name "UsageMeter", version "1", bound to chain and deployment. */
export function meterDomain(chainId: number, meter: Address): TypedDataDomain {
  return { name: "UsageMeter", version: "1", chainId, verifyingContract: meter };
}

export interface SignedReport {
  report: UsageReport;
  signature: Hex;
}

/** Where a report counts: the chain and the meter deployment. */
export interface MeterDomain {
  chainId: number;
  meter: Address;
}

function typedData(domain: MeterDomain, report: UsageReport) {
  return {
    domain: meterDomain(domain.chainId, domain.meter),
    types: usageReportTypes,
    primaryType: "UsageReport",
    message: typedMessage(usageReportFields, report) as UsageReport & { licensedProducts: bigint[] },
  } as const;
}

/** Checks what the contract would refuse before anything is signed. */
export function checkReport(report: UsageReport): void {
  if (report.periodEnd < report.periodStart) {
    throw new RangeError(
      `Report ${report.sequence} of order ${report.orderId} ends (${report.periodEnd}) before it starts (${report.periodStart}).`,
    );
  }
  if (!Number.isInteger(report.sequence) || report.sequence < 1) {
    throw new RangeError(`Report sequence numbers start at 1 and are whole numbers; got ${report.sequence}.`);
  }
}

/** The EIP-712 digest the device signs. */
export function reportDigest(domain: MeterDomain, report: UsageReport): Hex {
  return hashTypedData(typedData(domain, report));
}

/** Signs `report` with a device's (or an inspector's) key. */
export async function signReport(key: LocalAccount, domain: MeterDomain, report: UsageReport): Promise<SignedReport> {
  checkReport(report);
  return { report, signature: await key.signTypedData(typedData(domain, report)) };
}

/** The key that signed a report (the contract additionally requires low-s signatures). */
export async function reportSigner(domain: MeterDomain, signed: SignedReport): Promise<Address> {
  return recoverTypedDataAddress({ ...typedData(domain, signed.report), signature: signed.signature });
}
