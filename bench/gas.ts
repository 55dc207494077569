import { parseEuro } from "../src/core/money.js";

/** The laser tariff the benchmarks list machines with: two volume tiers, the given licences. */
export function benchTariff(pricePerHour: bigint, licenseIds: number[]) {
  return {
    pricePerHour,
    pricePerUnit: parseEuro("0.20"),
    pricePerInspection: parseEuro("12"),
    setupFee: parseEuro("25"),
    minimumCharge: parseEuro("60"),
    tiers: [
      { threshold: 100n, pricePerUnit: parseEuro("0.15") },
      { threshold: 1000n, pricePerUnit: parseEuro("0.10") },
    ],
    licenseIds,
  };
}

/** Gas used by one real transaction. */
interface Receipted {
  wait(): Promise<{ gasUsed: bigint } | null>;
}

export async function gasOf(tx: Promise<Receipted>): Promise<number> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction was dropped");
  return Number(receipt.gasUsed);
}
