import type { Address } from "viem";

import { transferTokens, type Transfer } from "../../../ops/accounts.js";
import { option, required, signedCommand } from "../../command.js";
import { address, euro, id } from "../../parse.js";
import { renderTransfer } from "../../render/members.js";

export default signedCommand<{ to?: Address; toMember?: bigint; amount: bigint }, Transfer>({
  name: "transfer",
  summary: "transfer tokens to another member, or between the member's own accounts (a member)",
  options: [
    option("--to <address>", "the receiving account (any member's, or another of the sender's member)", address),
    option("--to-member <id>", "or the receiving member (its first account)", id),
    required("--amount <eur>", "EUR to transfer", euro),
  ],
  job: (ops, wallet, options) => transferTokens(ops, wallet, options),
  render: renderTransfer,
});
