import { mintTo, type SettlementLayerFixture } from "./fixtures.js";

let deposits = 0;

/** Mints through the fixture's minter, each time against a bank reference never used before. */
export function funder(f: SettlementLayerFixture): (to: string, amount: bigint) => Promise<void> {
  return async (to, amount) => {
    deposits += 1;
    await mintTo(f, to, amount, `test deposit #${deposits}`);
  };
}
