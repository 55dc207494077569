import type { Hex } from "viem";

import { resolveDispute, type Resolved } from "../../../ops/disputes.js";
import { signedCommand } from "../../command.js";
import { euro, id, reference } from "../../parse.js";
import { renderResolved } from "../../render/orders.js";

export default signedCommand<{ dispute: bigint; refund: bigint; reason: Hex }, Resolved>({
  name: "resolve",
  summary: "resolve a dispute: the refund goes back to the payer, the rest matures (auditor of a third member)",
  options: [
    { flags: "--dispute <id>", description: "the dispute id", parse: id, required: true },
    { flags: "--refund <eur>", description: "EUR to refund, at most the frozen amount", parse: euro, required: true },
    {
      flags: "--reason <text>",
      description: "the written finding or its 32-byte hash",
      parse: reference,
      required: true,
    },
  ],
  job: (ops, wallet, options) =>
    resolveDispute(ops, wallet, { disputeId: options.dispute, refund: options.refund, reasonHash: options.reason }),
  render: renderResolved,
});
