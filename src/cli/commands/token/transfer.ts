import type { Address } from "viem";

import { transferTokens, type Transfer } from "../../../ops/accounts.js";
import { signedCommand } from "../../command.js";
import { address, euro, id } from "../../parse.js";
import { renderTransfer } from "../../render/members.js";

export default signedCommand<{ to?: Address; toMember?: bigint; amount: bigint }, Transfer>({
  name: "transfer",
  summary: "transfer tokens to another member, or between the member's own accounts (a member)",
  options: [
    {
      flags: "--to <address>",
      description: "the receiving account (any member's, or another of the sender's member)",
      parse: address,
    },
    { flags: "--to-member <id>", description: "or the receiving member (its first account)", parse: id },
    { flags: "--amount <eur>", description: "EUR to transfer", parse: euro, required: true },
  ],
  job: (ops, wallet, options) => transferTokens(ops, wallet, options),
  render: renderTransfer,
});
