import type { Address, Hex } from "viem";

import { mint, type Minted } from "../../../ops/issuance.js";
import { required, signedCommand } from "../../command.js";
import { address, euro, reference } from "../../parse.js";
import { renderMinted } from "../../render/issuance.js";

export default signedCommand<{ to: Address; amount: bigint; bankRef: Hex }, Minted>({
  name: "mint",
  summary: "mint tokens against one bank deposit; retrying the same deposit mints nothing (minter)",
  options: [
    required("--to <address>", "the member account credited", address),
    required("--amount <eur>", "EUR deposited", euro),
    required(
      "--bank-ref <text>",
      "the bank transaction's reference or its 32-byte hash (one deposit, one reference)",
      reference,
    ),
  ],
  job: (ops, wallet, options) =>
    mint(ops, wallet, { to: options.to, amount: options.amount, bankRef: options.bankRef }),
  render: renderMinted,
});
