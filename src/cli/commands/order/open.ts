import { openOrder, type OpenedOrder } from "../../../ops/orders.js";
import { option, required, signedCommand } from "../../command.js";
import { machineOption } from "../../options.js";
import { duration, euro, text } from "../../parse.js";
import { renderOrder } from "../../render/orders.js";

interface Options {
  machine: bigint;
  budget: bigint;
  expiresIn: number;
  disputeWindow: number;
  capability?: string;
}

export default signedCommand<Options, OpenedOrder>({
  name: "open",
  summary: "book a machine: an escrowed order under the tariff in force (consumer)",
  options: [
    machineOption,
    required("--budget <eur>", "EUR to escrow", euro),
    {
      flags: "--expires-in <duration>",
      description: "how long the order runs",
      parse: duration,
      default: 30 * 86_400,
      defaultDescription: "30d",
    },
    {
      flags: "--dispute-window <duration>",
      description: "how long each invoice may be disputed",
      parse: duration,
      default: 86_400,
      defaultDescription: "1d",
    },
    option("--capability <name>", "the capability booked, one the listing offers (for the owner's insight)", text),
  ],
  job: (ops, wallet, options) =>
    openOrder(ops, wallet, {
      machineId: options.machine,
      budget: options.budget,
      expiresIn: options.expiresIn,
      disputeWindow: options.disputeWindow,
      capability: options.capability,
    }),
  render: renderOrder,
});
