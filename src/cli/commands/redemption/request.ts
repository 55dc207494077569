import type { Hex } from "viem";

import { requestRedemption, type RedemptionView } from "../../../ops/redemptions.js";
import { signedCommand } from "../../command.js";
import { euro, reference } from "../../parse.js";
import { renderRedemption } from "../../render/redemptions.js";

export default signedCommand<{ amount: bigint; payoutRef: Hex }, RedemptionView>({
  name: "request",
  summary: "ask to redeem tokens for a bank payout; they are locked until paid or rejected (member)",
  options: [
    { flags: "--amount <eur>", description: "EUR to redeem", parse: euro, required: true },
    {
      flags: "--payout-ref <text>",
      description: "the payout instructions (IBAN, remittance text) or their hash",
      parse: reference,
      required: true,
    },
  ],
  job: (ops, wallet, options) => requestRedemption(ops, wallet, options.amount, options.payoutRef),
  render: renderRedemption,
});
