import type { Hex } from "viem";

import { attestReserve, type ReserveAttested } from "../../../ops/issuance.js";
import { signedCommand } from "../../command.js";
import { euro, int, reference } from "../../parse.js";
import { renderReserveAttested } from "../../render/issuance.js";

export default signedCommand<{ reserve: bigint; report: Hex; asOf?: number }, ReserveAttested>({
  name: "attest-reserve",
  summary: "attest the fiat reserve backing the token (auditor)",
  options: [
    { flags: "--reserve <eur>", description: "EUR held in the bank", parse: euro, required: true },
    {
      flags: "--report <text>",
      description: "the audit report's reference or its 32-byte hash",
      parse: reference,
      required: true,
    },
    {
      flags: "--as-of <seconds>",
      description: "Unix seconds the reserve was counted at (default: the chain's time now)",
      parse: int(1, 2 ** 40 - 1),
    },
  ],
  job: (ops, wallet, options) =>
    attestReserve(ops, wallet, { reserve: options.reserve, reportHash: options.report, asOf: options.asOf }),
  render: renderReserveAttested,
});
