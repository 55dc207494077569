import type { Hex } from "viem";

import { settleRedemption, type RedemptionView } from "../../../ops/redemptions.js";
import { signedCommand } from "../../command.js";
import { id, reference } from "../../parse.js";
import { renderRedemption } from "../../render/redemptions.js";

export default signedCommand<{ id: bigint; reason: Hex }, RedemptionView>({
  name: "reject",
  summary: "reject a redemption: its tokens go back (operator)",
  options: [
    { flags: "--id <id>", description: "the redemption id", parse: id, required: true },
    { flags: "--reason <text>", description: "the written reason or its hash", parse: reference, required: true },
  ],
  job: (ops, wallet, options) => settleRedemption(ops, wallet, options.id, { rejected: options.reason }),
  render: renderRedemption,
});
