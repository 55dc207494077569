import type { Hex } from "viem";

import { settleRedemption, type RedemptionView } from "../../../ops/redemptions.js";
import { required, signedCommand } from "../../command.js";
import { id, reference } from "../../parse.js";
import { renderRedemption } from "../../render/redemptions.js";

export default signedCommand<{ id: bigint; bankRef: Hex }, RedemptionView>({
  name: "paid",
  summary: "mark a redemption paid by the bank: its tokens are burned (operator)",
  options: [
    required("--id <id>", "the redemption id", id),
    required("--bank-ref <text>", "the bank transaction reference or its hash", reference),
  ],
  job: (ops, wallet, options) => settleRedemption(ops, wallet, options.id, { paid: options.bankRef }),
  render: renderRedemption,
});
