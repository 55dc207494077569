import type { Hex } from "viem";

import { registerLicence, type LicenceVersion } from "../../../ops/listings.js";
import { required, signedCommand } from "../../command.js";
import { euro, reference } from "../../parse.js";
import { renderLicenceVersion } from "../../render/listings.js";

export default signedCommand<{ royalty: bigint; terms: Hex }, LicenceVersion>({
  name: "register",
  summary: "register a licence with its royalty per licensed product (licensor)",
  options: [
    required("--royalty <eur>", "EUR per licensed product", euro),
    required("--terms <text>", "the licence terms' reference or 32-byte hash", reference),
  ],
  job: (ops, wallet, options) => registerLicence(ops, wallet, options.royalty, options.terms),
  render: renderLicenceVersion,
});
