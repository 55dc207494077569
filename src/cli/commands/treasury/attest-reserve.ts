import type { Hex } from "viem";

import { attestReserve, type ReserveAttested } from "../../../ops/issuance.js";
import { option, required, signedCommand } from "../../command.js";
import { euro, int, reference } from "../../parse.js";
import { renderReserveAttested } from "../../render/issuance.js";

export default signedCommand<{ reserve: bigint; report: Hex; asOf?: number }, ReserveAttested>({
  name: "attest-reserve",
  summary: "attest the fiat reserve backing the token (auditor)",
  options: [
    required("--reserve <eur>", "EUR held in the bank", euro),
    required("--report <text>", "the audit report's reference or its 32-byte hash", reference),
    option(
      "--as-of <seconds>",
      "Unix seconds the reserve was counted at (default: the chain's time now)",
      int(1, 2 ** 40 - 1),
    ),
  ],
  job: (ops, wallet, options) =>
    attestReserve(ops, wallet, { reserve: options.reserve, reportHash: options.report, asOf: options.asOf }),
  render: renderReserveAttested,
});
