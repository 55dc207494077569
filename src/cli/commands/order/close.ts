import { closeOrder, type OrderClosed } from "../../../ops/disputes.js";
import { signedCommand } from "../../command.js";
import { id } from "../../parse.js";
import { renderOrderClosed } from "../../render/orders.js";

export default signedCommand<{ order: bigint }, OrderClosed>({
  name: "close",
  summary: "close an order: the unused escrow goes back (provider any time; consumer after expiry and grace)",
  options: [{ flags: "--order <id>", description: "the order id", parse: id, required: true }],
  job: (ops, wallet, options) => closeOrder(ops, wallet, options.order),
  render: renderOrderClosed,
});
