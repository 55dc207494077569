/** Gas used by one real transaction. */
interface Receipted {
  wait(): Promise<{ gasUsed: bigint } | null>;
}

export async function gasOf(tx: Promise<Receipted>): Promise<number> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction was dropped");
  return Number(receipt.gasUsed);
}
