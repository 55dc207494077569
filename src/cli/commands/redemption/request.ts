import type { Hex } from "viem";

import { requestRedemption, type RedemptionView } from "../../../ops/redemptions.js";
import { required, signedCommand } from "../../command.js";
import { euro, reference } from "../../parse.js";
import { renderRedemption } from "../../render/redemptions.js";

export default signedCommand<{ amount: bigint; payoutRef: Hex }, RedemptionView>({
  name: "request",
  summary: "ask to redeem tokens for a bank payout; they are locked until paid or rejected (member)",
  options: [
    required("--amount <eur>", "EUR to redeem", euro),
    required("--payout-ref <text>", "the payout instructions (IBAN, remittance text) or their hash", reference),
  ],
  job: (ops, wallet, options) => requestRedemption(ops, wallet, options.amount, options.payoutRef),
  render: renderRedemption,
});
