import type { Address } from "viem";

import { memberIdOf } from "../../../ops/members.js";
import { memberInvoices, type InvoiceSide } from "../../../ops/statements.js";
import { defineCommand } from "../../command.js";
import { accountOption, memberOption, whose } from "../../options.js";
import { renderMemberInvoices } from "../../render/invoices.js";

export default defineCommand<{ member?: bigint; account?: Address; as: InvoiceSide | "both" }>({
  name: "list",
  summary: "a member's invoices across its orders, as consumer and as provider (default: the signing key's member)",
  options: [
    memberOption("the member id (default: the signing key's member)"),
    accountOption(),
    {
      flags: "--as <side>",
      description: "only the invoices it pays (consumer) or is paid (provider)",
      choices: ["consumer", "provider", "both"],
      default: "both",
    },
  ],
  async run(options, context) {
    const ops = await context.ops();
    const memberId = await memberIdOf(ops, await whose(options, context), {
      ask: "Say whose invoices: --member ID or --account 0x…, or set OPS_PRIVATE_KEY to one of the member's keys.",
    });
    const lines = await memberInvoices(ops, memberId, options.as === "both" ? undefined : options.as);
    return { json: lines, text: renderMemberInvoices(await (await context.names()).member(memberId), lines) };
  },
});
