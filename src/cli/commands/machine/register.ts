import type { Address, Hex } from "viem";

import { KNOWN_CAPABILITIES } from "../../../core/vocabulary.js";
import { registerMachine, type Registered } from "../../../ops/machines.js";
import { option, required, signedCommand } from "../../command.js";
import { tariffOf, TARIFF_OPTIONS, type TariffOptions } from "../../options.js";
import { address, capability, list, reference, site, text } from "../../parse.js";
import { renderRegistered } from "../../render/machines.js";

interface Options extends TariffOptions {
  kind: "Machine" | "Service";
  site: string;
  capabilities: string[];
  uri: string;
  spec: Hex;
  keys?: Address[];
}

export default signedCommand<Options, Registered>({
  name: "register",
  summary: "list a machine or service with its signer keys and first tariff (provider)",
  help: `Capabilities of the catalogue: ${KNOWN_CAPABILITIES.join(", ")}.`,
  options: [
    { flags: "--kind <kind>", description: "what is listed", choices: ["Machine", "Service"], default: "Machine" },
    required("--site <code>", "site code COUNTRY-REGION-PLANT, e.g. DE-HH-01", site),
    required(
      "--capabilities <names>",
      "capability names of the catalogue, comma-separated (laser-cutting,sheet-metal)",
      list(capability),
    ),
    required("--uri <uri>", "where the specification lives (ipfs://… or https://…)", text),
    required("--spec <text>", "the specification document's text reference or 32-byte hash", reference),
    option("--keys <addresses>", "signer key addresses (device or inspector), comma-separated", list(address)),
    ...TARIFF_OPTIONS,
  ],
  job: (ops, wallet, options) =>
    registerMachine(ops, wallet, {
      kind: options.kind,
      site: options.site,
      capabilities: options.capabilities,
      metadataURI: options.uri,
      metadataHash: options.spec,
      keys: options.keys ?? [],
      tariff: tariffOf(options),
    }),
  render: renderRegistered,
});
