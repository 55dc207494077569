import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import type { Actors } from "./fixtures.js";

/** The `index`-th spare key of the test network, for extra accounts and new members. */
export function spareKey(who: Actors, index: number): HardhatEthersSigner {
  const key = who.spare[index];
  if (key === undefined) throw new Error(`The test network has no spare key #${index}; configure more accounts.`);
  return key;
}
