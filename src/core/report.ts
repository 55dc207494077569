/**
 * Usage reports as devices sign them: EIP-712 typed data over the meter's domain (chain id and meter
 * address), one definition shared with the contract (contracts/libraries/UsageReportHash.sol).
 */
import { hashTypedData, recoverTypedDataAddress, type Address, type Hex, type LocalAccount } from "viem";

import { meterDomain, usageReportTypes } from "./typed-data.js";

export interface UsageReport {
  orderId: bigint;
  sequence: number;
  periodStart: number;
  periodEnd: number;
  machineSeconds: bigint;
  units: bigint;
  inspections: number;
  licensedProducts: readonly bigint[];
  readingsRoot: Hex;
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
    message: { ...report, licensedProducts: [...report.licensedProducts] },
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
