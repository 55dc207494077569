import type { Address } from "viem";

import { addAccount, type AccountChange } from "../../../ops/accounts.js";
import { required, signedCommand } from "../../command.js";
import { address } from "../../parse.js";
import { renderAccountChange } from "../../render/members.js";

export default signedCommand<{ account: Address }, AccountChange>({
  name: "add",
  summary: "add an account to the signing key's member: a new key, a department (a member)",
  options: [required("--account <address>", "the new account (never a member's before)", address)],
  job: (ops, wallet, options) => addAccount(ops, wallet, options.account),
  render: renderAccountChange,
});
