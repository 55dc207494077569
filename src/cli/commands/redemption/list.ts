import { listRedemptions, type RedemptionStatusName } from "../../../ops/redemptions.js";
import { defineCommand, option } from "../../command.js";
import { id } from "../../parse.js";
import { renderRedemptions } from "../../render/redemptions.js";

export default defineCommand<{ status: RedemptionStatusName | "all"; member?: bigint }>({
  name: "list",
  summary: "redemptions waiting for the bank (pending), or those paid, rejected or all (operator, treasury)",
  options: [
    {
      flags: "--status <status>",
      description: "which",
      choices: ["Pending", "Paid", "Rejected", "all"],
      default: "Pending",
    },
    option("--member <id>", "only this member's", id),
  ],
  async run(options, context) {
    const views = await listRedemptions(await context.ops(), { status: options.status, memberId: options.member });
    return { json: views, text: renderRedemptions(views, options.status) };
  },
});
