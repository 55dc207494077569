import type { Address } from "viem";

import { openChannel, type OpenedChannel } from "../../../ops/orders.js";
import { option, required, signedCommand } from "../../command.js";
import { address, duration, euro, int } from "../../parse.js";
import { renderChannel } from "../../render/orders.js";

interface Options {
  payee: Address;
  deposit: bigint;
  expiresIn: number;
  challengePeriod?: number;
  salt?: number;
}

export default signedCommand<Options, OpenedChannel>({
  name: "open",
  summary: "open a payment channel to a provider's account (consumer)",
  options: [
    required("--payee <address>", "the provider's account", address),
    required("--deposit <eur>", "EUR to escrow", euro),
    {
      flags: "--expires-in <duration>",
      description: "how long the channel runs",
      parse: duration,
      default: 7 * 86_400,
      defaultDescription: "7d",
    },
    option(
      "--challenge-period <duration>",
      "how long the payee may claim after a unilateral close (default: the contract's minimum)",
      duration,
    ),
    option("--salt <n>", "tells apart channels opened in one block", int(0, 2 ** 32 - 1)),
  ],
  job: (ops, wallet, options) => openChannel(ops, wallet, options),
  render: renderChannel,
});
