import { closeOrder, type OrderClosed } from "../../../ops/disputes.js";
import { required, signedCommand } from "../../command.js";
import { id } from "../../parse.js";
import { renderOrderClosed } from "../../render/orders.js";

export default signedCommand<{ order: bigint }, OrderClosed>({
  name: "close",
  summary: "close an order: the unused escrow goes back (provider any time; consumer after expiry and grace)",
  options: [required("--order <id>", "the order id", id)],
  job: (ops, wallet, options) => closeOrder(ops, wallet, options.order),
  render: renderOrderClosed,
});
