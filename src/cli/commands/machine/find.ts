import type { Job } from "../../../core/tariff.js";
import { KNOWN_CAPABILITIES } from "../../../core/vocabulary.js";
import { findMachines } from "../../../ops/machines.js";
import { defineCommand } from "../../command.js";
import { capability, euro, int, site } from "../../parse.js";
import { foundJson, renderFound } from "../../render/machines.js";

interface Options {
  capability: string;
  site?: string;
  status: "Active" | "Paused" | "Retired" | "any";
  parts?: number;
  secondsPerPart: number;
  inspections: number;
  maxPrice?: bigint;
  maxPricePerHour?: bigint;
}

export default defineCommand<Options>({
  name: "find",
  summary: "find listings by capability, site and price, with a quote for a job (anyone)",
  help: `Capabilities of the catalogue: ${KNOWN_CAPABILITIES.join(", ")}.`,
  options: [
    {
      flags: "--capability <name>",
      description: "a capability of the catalogue, e.g. laser-cutting",
      parse: capability,
      required: true,
    },
    { flags: "--site <code>", description: "only this site code, e.g. DE-HH-01", parse: site },
    {
      flags: "--status <status>",
      description: "Active: bookable now",
      choices: ["Active", "Paused", "Retired", "any"],
      default: "Active",
    },
    { flags: "--parts <n>", description: "price a job of this many parts", parse: int() },
    { flags: "--seconds-per-part <n>", description: "machine seconds per part of the job", parse: int(), default: 0 },
    { flags: "--inspections <n>", description: "inspections in the job", parse: int(0, 2 ** 32 - 1), default: 0 },
    { flags: "--max-price <eur>", description: "only listings whose quote for the job is at most this", parse: euro },
    { flags: "--max-price-per-hour <eur>", description: "only listings at most this per machine hour", parse: euro },
  ],
  async run(options, context) {
    const job: Job | undefined =
      options.parts === undefined
        ? undefined
        : {
            parts: BigInt(options.parts),
            secondsPerPart: BigInt(options.secondsPerPart),
            inspections: options.inspections,
          };
    const results = await findMachines(await context.ops(), {
      capability: options.capability,
      status: options.status,
      site: options.site,
      job,
      maxPrice: options.maxPrice,
      maxPricePerHour: options.maxPricePerHour,
    });
    return { json: results.map(foundJson), text: renderFound(results) };
  },
});
