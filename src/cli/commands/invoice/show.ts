import { renderInvoiceTable } from "../../render/invoice.js";
import { loadInvoice } from "../../../contracts/invoices.js";
import { renderInvoiceJson } from "../../../core/invoice.js";
import { OpsInputError } from "../../../ops/context.js";
import { defineCommand, required } from "../../command.js";
import { id, int } from "../../parse.js";

export default defineCommand<{ order: bigint; number: number }>({
  name: "show",
  summary: "an invoice as a document, rebuilt and checked from the chain (anyone)",
  options: [
    required("--order <id>", "the order id", id),
    required("--number <n>", "the invoice number (from 1)", int(1, 2 ** 32 - 1)),
  ],
  async run(options, context) {
    const ops = await context.ops();
    const doc = await loadInvoice(ops.chain.publicClient, ops.addresses.usageMeter, options.order, options.number, {
      registry: ops.addresses.machineRegistry,
      fromBlock: ops.fromBlock,
    }).catch((error: unknown) => {
      throw new OpsInputError((error as Error).message, { code: "invoice.unavailable" });
    });
    return { json: JSON.parse(renderInvoiceJson(doc)) as unknown, text: renderInvoiceTable(doc) };
  },
});
