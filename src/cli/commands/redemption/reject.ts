import type { Hex } from "viem";

import { settleRedemption, type RedemptionView } from "../../../ops/redemptions.js";
import { required, signedCommand } from "../../command.js";
import { id, reference } from "../../parse.js";
import { renderRedemption } from "../../render/redemptions.js";

export default signedCommand<{ id: bigint; reason: Hex }, RedemptionView>({
  name: "reject",
  summary: "reject a redemption: its tokens go back (operator)",
  options: [
    required("--id <id>", "the redemption id", id),
    required("--reason <text>", "the written reason or its hash", reference),
  ],
  job: (ops, wallet, options) => settleRedemption(ops, wallet, options.id, { rejected: options.reason }),
  render: renderRedemption,
});
