import type { Job } from "../../../core/tariff.js";
import { KNOWN_CAPABILITIES } from "../../../core/vocabulary.js";
import { findMachines } from "../../../ops/machines.js";
import { defineCommand, option, required } from "../../command.js";
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
    required("--capability <name>", "a capability of the catalogue, e.g. laser-cutting", capability),
    option("--site <code>", "only this site code, e.g. DE-HH-01", site),
    {
      flags: "--status <status>",
      description: "Active: bookable now",
      choices: ["Active", "Paused", "Retired", "any"],
      default: "Active",
    },
    option("--parts <n>", "price a job of this many parts", int()),
    { flags: "--seconds-per-part <n>", description: "machine seconds per part of the job", parse: int(), default: 0 },
    { flags: "--inspections <n>", description: "inspections in the job", parse: int(0, 2 ** 32 - 1), default: 0 },
    option("--max-price <eur>", "only listings whose quote for the job is at most this", euro),
    option("--max-price-per-hour <eur>", "only listings at most this per machine hour", euro),
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
