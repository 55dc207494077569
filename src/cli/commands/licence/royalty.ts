import type { Hex } from "viem";

import { rotateRoyalty, type LicenceVersion } from "../../../ops/listings.js";
import { required, signedCommand } from "../../command.js";
import { euro, int, reference } from "../../parse.js";
import { renderLicenceVersion } from "../../render/listings.js";

export default signedCommand<{ licence: number; royalty: bigint; terms: Hex }, LicenceVersion>({
  name: "royalty",
  summary: "rotate a licence's royalty: a new version; orders booked before keep theirs (licensor)",
  options: [
    required("--licence <id>", "the licence id", int(1, 2 ** 32 - 1)),
    required("--royalty <eur>", "the new EUR per licensed product", euro),
    required("--terms <text>", "the new terms' reference or 32-byte hash", reference),
  ],
  job: (ops, wallet, options) => rotateRoyalty(ops, wallet, options.licence, options.royalty, options.terms),
  render: renderLicenceVersion,
});
