/**
 * The seeded, stratified sample: how many mutants each contract gets (at least a floor each, the rest in
 * proportion to how many it has), and which ones (a seeded shuffle per contract, so a contract's pick does
 * not move when another contract's mutants change).
 */
import { createHash } from "node:crypto";

import type { Mutant } from "./types.js";

/** A generator of floats in [0, 1) from a seed text: sfc32 seeded from SHA-256, reproducible everywhere. */
export function seededRandom(seed: string): () => number {
  const digest = createHash("sha256").update(seed).digest();
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/**
 * How many of each contract's mutants to test: `min(count, floor)` each, the rest of `size` shared in
 * proportion to the mutants left (largest remainder, ties to the contract listed first); never more than a
 * contract has. A size at or above the total takes everything.
 */
export function allocate(
  counts: Readonly<Record<string, number>>,
  size: number,
  floor: number,
): Record<string, number> {
  const names = Object.keys(counts);
  const total = names.reduce((sum, name) => sum + counts[name]!, 0);
  const out: Record<string, number> = {};
  if (size >= total) {
    for (const name of names) out[name] = counts[name]!;
    return out;
  }
  for (const name of names) out[name] = Math.min(counts[name]!, floor);
  let left = size - names.reduce((sum, name) => sum + out[name]!, 0);
  if (left < 0)
    throw new Error(`A sample of ${size} cannot hold ${floor} mutants of each of ${names.length} contracts.`);
  const rest = names.reduce((sum, name) => sum + counts[name]! - out[name]!, 0);
  const shares = names.map((name) => {
    const exact = ((counts[name]! - out[name]!) * left) / rest;
    return { name, whole: Math.floor(exact), fraction: exact - Math.floor(exact) };
  });
  for (const share of shares) {
    out[share.name]! += share.whole;
    left -= share.whole;
  }
  const byFraction = [...shares].sort((x, y) => y.fraction - x.fraction);
  for (let i = 0; left > 0; i = (i + 1) % byFraction.length) {
    const name = byFraction[i]!.name;
    if (out[name]! < counts[name]!) {
      out[name]! += 1;
      left -= 1;
    }
  }
  return out;
}

/** `count` of the mutants, picked by a shuffle seeded with the seed and the contract; returned in source order. */
export function pick(mutants: readonly Mutant[], count: number, seed: string, contract: string): Mutant[] {
  const random = seededRandom(`${seed}/${contract}`);
  const pool = [...mutants].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count).sort((a, b) => a.start - b.start || a.end - b.end);
}

/** The sample of `size` mutants over the contracts (see {allocate} and {pick}), contract by contract. */
export function sample(
  byContract: Readonly<Record<string, readonly Mutant[]>>,
  size: number,
  floor: number,
  seed: string,
): Mutant[] {
  const counts = Object.fromEntries(Object.entries(byContract).map(([name, mutants]) => [name, mutants.length]));
  const shares = allocate(counts, size, floor);
  return Object.entries(byContract).flatMap(([name, mutants]) => pick(mutants, shares[name]!, seed, name));
}
