import { SettlementLayer } from "../../../contracts/settlement.js";
import { reconcile } from "../../../ops/reconciliation.js";
import { defineCommand } from "../../command.js";
import { renderReconciliation } from "../../render/reconciliation.js";

export default defineCommand<object>({
  name: "reconcile",
  summary: "match the chain against the bank: mints, redemptions, supply, the reserve (treasury, auditor)",
  help: "Exit status 1 when a check does not hold (supply against mints and burns, locked tokens, the reserve).",
  options: [],
  async run(_options, context) {
    const ops = await context.ops();
    const reconciliation = await reconcile(new SettlementLayer(ops.chain, ops.addresses), ops.fromBlock);
    const ok = reconciliation.checks.every((check) => check.ok);
    return { json: reconciliation, text: renderReconciliation(reconciliation), exitCode: ok ? 0 : 1 };
  },
});
