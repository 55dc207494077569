import type { Address } from "viem";

import { configureMinter, type MinterConfigured } from "../../../ops/issuance.js";
import { required, signedCommand } from "../../command.js";
import { address, euro } from "../../parse.js";
import { renderMinterConfigured } from "../../render/issuance.js";

export default signedCommand<{ minter: Address; allowance: bigint }, MinterConfigured>({
  name: "configure-minter",
  summary: "let an account mint up to an allowance against bank deposits (master minter)",
  options: [
    required("--minter <address>", "the minter's account", address),
    required("--allowance <eur>", "EUR it may mint from now on (replaces what it had left)", euro),
  ],
  job: (ops, wallet, options) => configureMinter(ops, wallet, options.minter, options.allowance),
  render: renderMinterConfigured,
});
