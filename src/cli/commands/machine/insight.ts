import type { Address } from "viem";

import { renderInsight } from "../../render/insight.js";
import { ownerInsight } from "../../../ops/insight.js";
import { memberIdOf } from "../../../ops/members.js";
import { defineCommand, option } from "../../command.js";
import { accountOption, memberOption, whose } from "../../options.js";
import { id, time } from "../../parse.js";

interface Options {
  member?: bigint;
  account?: Address;
  machine?: bigint;
  from?: number;
  to?: number;
}

export default defineCommand<Options>({
  name: "insight",
  summary: "how often, how long and for what an owner's machines were used, and what they earned (provider)",
  help:
    "Without --member or --account it shows the signing key's member. With --from (and --to, default now) only\n" +
    "reports whose period ends in that window count, and utilisation is machine time over the window.",
  options: [
    memberOption("the owner's member id (default: the signing key's member)"),
    accountOption("or one of the owner's accounts"),
    option("--machine <id>", "only this listing of the owner", id),
    option("--from <date>", "window start: a date (2026-03-01) or Unix seconds", time),
    option("--to <date>", "window end (exclusive; default now)", time),
  ],
  async run(options, context) {
    const ops = await context.ops();
    const memberId = await memberIdOf(ops, await whose(options, context), {
      ask: "Say whose machines: --member ID or --account 0x…, or set OPS_PRIVATE_KEY to an owner's key.",
    });
    const window =
      options.from === undefined && options.to === undefined
        ? undefined
        : { from: options.from ?? 0, to: options.to ?? Math.floor(Date.now() / 1000) };
    const insight = await ownerInsight(ops, { memberId, machineId: options.machine, window });
    const label = await (await context.names()).member(memberId);
    const text =
      `Usage of ${label}'s listings ${insight.machineIds.map((m) => `#${m}`).join(", ") || "(none)"}` +
      (window === undefined
        ? ""
        : ` from ${new Date(window.from * 1000).toISOString()} to ${new Date(window.to * 1000).toISOString()}`) +
      `\n${renderInsight(insight.machines)}`;
    return { json: insight, text };
  },
});
