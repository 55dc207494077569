import type { Address, Hex } from "viem";

import { mint, type Minted } from "../../../ops/issuance.js";
import { signedCommand } from "../../command.js";
import { address, euro, reference } from "../../parse.js";
import { renderMinted } from "../../render/issuance.js";

export default signedCommand<{ to: Address; amount: bigint; bankRef: Hex }, Minted>({
  name: "mint",
  summary: "mint tokens against one bank deposit; retrying the same deposit mints nothing (minter)",
  options: [
    { flags: "--to <address>", description: "the member account credited", parse: address, required: true },
    { flags: "--amount <eur>", description: "EUR deposited", parse: euro, required: true },
    {
      flags: "--bank-ref <text>",
      description: "the bank transaction's reference or its 32-byte hash (one deposit, one reference)",
      parse: reference,
      required: true,
    },
  ],
  job: (ops, wallet, options) =>
    mint(ops, wallet, { to: options.to, amount: options.amount, bankRef: options.bankRef }),
  render: renderMinted,
});
