import type { Address } from "viem";

import { memberPosition } from "../../../ops/obligations.js";
import { memberBalances } from "../../../ops/reconciliation.js";
import { SettlementLayer } from "../../../contracts/settlement.js";
import { defineCommand } from "../../command.js";
import { accountOption, memberOption } from "../../options.js";
import { renderPosition } from "../../render/obligations.js";
import { renderBalances } from "../../render/reconciliation.js";

interface Options {
  member?: bigint;
  account?: Address;
  all?: boolean;
}

export default defineCommand<Options>({
  name: "balances",
  summary: "a member's balances and obligations, or every member's accounts and balances (anyone)",
  options: [memberOption(), accountOption(), { flags: "--all", description: "every member's accounts and balances" }],
  async run(options, context) {
    const ops = await context.ops();
    if (options.all === true) {
      const lines = await memberBalances(new SettlementLayer(ops.chain, ops.addresses));
      return { json: lines, text: renderBalances(lines) };
    }
    const position = await memberPosition(ops, { memberId: options.member, account: options.account });
    return { json: position, text: renderPosition(position) };
  },
});
