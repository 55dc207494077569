import type { Address } from "viem";

import { configureMinter, type MinterConfigured } from "../../../ops/issuance.js";
import { signedCommand } from "../../command.js";
import { address, euro } from "../../parse.js";
import { renderMinterConfigured } from "../../render/issuance.js";

export default signedCommand<{ minter: Address; allowance: bigint }, MinterConfigured>({
  name: "configure-minter",
  summary: "let an account mint up to an allowance against bank deposits (master minter)",
  options: [
    { flags: "--minter <address>", description: "the minter's account", parse: address, required: true },
    {
      flags: "--allowance <eur>",
      description: "EUR it may mint from now on (replaces what it had left)",
      parse: euro,
      required: true,
    },
  ],
  job: (ops, wallet, options) => configureMinter(ops, wallet, options.minter, options.allowance),
  render: renderMinterConfigured,
});
