import type { Hex } from "viem";

import { rotateRoyalty, type LicenceVersion } from "../../../ops/listings.js";
import { signedCommand } from "../../command.js";
import { euro, int, reference } from "../../parse.js";
import { renderLicenceVersion } from "../../render/listings.js";

export default signedCommand<{ licence: number; royalty: bigint; terms: Hex }, LicenceVersion>({
  name: "royalty",
  summary: "rotate a licence's royalty: a new version; orders booked before keep theirs (licensor)",
  options: [
    { flags: "--licence <id>", description: "the licence id", parse: int(1, 2 ** 32 - 1), required: true },
    { flags: "--royalty <eur>", description: "the new EUR per licensed product", parse: euro, required: true },
    {
      flags: "--terms <text>",
      description: "the new terms' reference or 32-byte hash",
      parse: reference,
      required: true,
    },
  ],
  job: (ops, wallet, options) => rotateRoyalty(ops, wallet, options.licence, options.royalty, options.terms),
  render: renderLicenceVersion,
});
