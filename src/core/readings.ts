/**
 * Raw readings and the Merkle tree a usage report commits to. A device keeps every reading; its report
 * carries only the root, and any single reading can be proven later against it. The tree is OpenZeppelin's
 * StandardMerkleTree (double-hashed ABI-encoded leaves, sorted pairs), which OpenZeppelin's MerkleProof
 * verifies on-chain (contracts/libraries/UsageReportHash.sol computes the same leaf).
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { Hex } from "viem";

export const ReadingKind = { SpindleSeconds: 0, Units: 1, LicensedUnits: 2, Inspection: 3 } as const;
export type ReadingKind = (typeof ReadingKind)[keyof typeof ReadingKind];

export interface Reading {
  /** Position in the device's log for the order; makes every leaf unique. */
  index: bigint;
  /** Unix seconds. */
  at: number;
  kind: ReadingKind;
  amount: bigint;
  /** The licence of licensed units, 0 otherwise. */
  licenseId: number;
}

const LEAF_TYPES = ["uint64", "uint40", "uint8", "uint64", "uint32"];
type Leaf = [bigint, number, number, bigint, number];

const toLeaf = (r: Reading): Leaf => [r.index, r.at, r.kind, r.amount, r.licenseId];

/** The tree over a report's readings. A report needs at least one reading. */
export function readingsTree(readings: readonly Reading[]): StandardMerkleTree<Leaf> {
  if (readings.length === 0) throw new RangeError("A report commits to at least one reading; none were given.");
  const seen = new Set<bigint>();
  for (const reading of readings) {
    if (seen.has(reading.index))
      throw new RangeError(`Reading index ${reading.index} appears twice; indexes are unique.`);
    seen.add(reading.index);
  }
  return StandardMerkleTree.of(readings.map(toLeaf), LEAF_TYPES);
}

export function readingsRoot(readings: readonly Reading[]): Hex {
  return readingsTree(readings).root as Hex;
}

/** The proof that `reading` is one of `readings`. */
export function proveReading(readings: readonly Reading[], reading: Reading): Hex[] {
  const tree = readingsTree(readings);
  for (const [i, leaf] of tree.entries()) {
    if (leaf[0] === reading.index) {
      const same = toLeaf(reading).every((value, j) => BigInt(value) === BigInt(leaf[j]!));
      if (!same) throw new RangeError(`Reading ${reading.index} differs from the one the device recorded.`);
      return tree.getProof(i) as Hex[];
    }
  }
  throw new RangeError(`No reading with index ${reading.index} in this report.`);
}

/** Whether `reading` belongs to the report whose readings root is `root`, by its proof. */
export function verifyReading(root: Hex, reading: Reading, proof: readonly Hex[]): boolean {
  return StandardMerkleTree.verify(root, LEAF_TYPES, toLeaf(reading), [...proof]);
}

/** Sums readings into a report's counts: machine seconds, units, inspections, licensed units per licence. */
export function totals(
  readings: readonly Reading[],
  licenseIds: readonly number[],
): { machineSeconds: bigint; units: bigint; inspections: number; licensedProducts: bigint[] } {
  const licensed = licenseIds.map(() => 0n);
  let machineSeconds = 0n;
  let units = 0n;
  let inspections = 0;
  for (const reading of readings) {
    switch (reading.kind) {
      case ReadingKind.SpindleSeconds:
        machineSeconds += reading.amount;
        break;
      case ReadingKind.Units:
        units += reading.amount;
        break;
      case ReadingKind.LicensedUnits: {
        const position = licenseIds.indexOf(reading.licenseId);
        if (position < 0) {
          throw new RangeError(
            `Reading ${reading.index} counts licence ${reading.licenseId}, which the order's tariff does not name.`,
          );
        }
        units += reading.amount;
        licensed[position]! += reading.amount;
        break;
      }
      case ReadingKind.Inspection:
        inspections += Number(reading.amount);
        break;
    }
  }
  return { machineSeconds, units, inspections, licensedProducts: licenseIds.length === 0 ? [] : licensed };
}
