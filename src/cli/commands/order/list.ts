import { ordersOf } from "../../../ops/obligations.js";
import { defineCommand, option } from "../../command.js";
import { id } from "../../parse.js";
import { renderOrders } from "../../render/obligations.js";

export default defineCommand<{ provider?: bigint; consumer?: bigint }>({
  name: "list",
  summary: "orders with their escrow, what the meter recorded and the pending invoice (anyone)",
  options: [
    option("--provider <id>", "only this provider member's", id),
    option("--consumer <id>", "only this consumer member's", id),
  ],
  async run(options, context) {
    const orders = await ordersOf(await context.ops(), { provider: options.provider, consumer: options.consumer });
    return { json: orders, text: renderOrders(orders, "Orders") };
  },
});
