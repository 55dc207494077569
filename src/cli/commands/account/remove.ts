import type { Address } from "viem";

import { removeAccount, type AccountChange } from "../../../ops/accounts.js";
import { required, signedCommand } from "../../command.js";
import { address } from "../../parse.js";
import { renderAccountChange } from "../../render/members.js";

export default signedCommand<{ account: Address }, AccountChange>({
  name: "remove",
  summary: "remove one of the member's accounts; its tokens move to the signing account (a member)",
  help:
    "The Consortium suspends members, not single accounts (capacity member suspend); an account that must stop\n" +
    "for good is removed. It refuses while a channel is paid from or to the account: close those first.",
  options: [required("--account <address>", "the account to remove", address)],
  job: (ops, wallet, options) => removeAccount(ops, wallet, options.account),
  render: renderAccountChange,
});
