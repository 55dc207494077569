import type { Hex } from "viem";

import { resolveDispute, type Resolved } from "../../../ops/disputes.js";
import { required, signedCommand } from "../../command.js";
import { euro, id, reference } from "../../parse.js";
import { renderResolved } from "../../render/orders.js";

export default signedCommand<{ dispute: bigint; refund: bigint; reason: Hex }, Resolved>({
  name: "resolve",
  summary: "resolve a dispute: the refund goes back to the payer, the rest matures (auditor of a third member)",
  options: [
    required("--dispute <id>", "the dispute id", id),
    required("--refund <eur>", "EUR to refund, at most the frozen amount", euro),
    required("--reason <text>", "the written finding or its 32-byte hash", reference),
  ],
  job: (ops, wallet, options) =>
    resolveDispute(ops, wallet, { disputeId: options.dispute, refund: options.refund, reasonHash: options.reason }),
  render: renderResolved,
});
