import type { Hex } from "viem";

import { disputeReport, type Disputed } from "../../../ops/disputes.js";
import { required, signedCommand } from "../../command.js";
import { euro, id, int, reference } from "../../parse.js";
import { renderDisputed } from "../../render/orders.js";

interface Options {
  order: bigint;
  kind: "device" | "inspector";
  sequence: number;
  amount: bigint;
  reason: Hex;
}

export default signedCommand<Options, Disputed>({
  name: "dispute",
  summary: "dispute a recorded report's charge while its dispute window runs; the amount is frozen (consumer)",
  options: [
    required("--order <id>", "the order id", id),
    { flags: "--kind <kind>", description: "the report's stream", choices: ["device", "inspector"], default: "device" },
    required("--sequence <n>", "the report's number in its stream (from 1)", int(1, 2 ** 32 - 1)),
    required("--amount <eur>", "EUR of the charges to freeze", euro),
    required("--reason <text>", "the written reason or its 32-byte hash", reference),
  ],
  job: (ops, wallet, options) =>
    disputeReport(ops, wallet, {
      orderId: options.order,
      kind: options.kind === "device" ? "Device" : "Inspector",
      sequence: options.sequence,
      amount: options.amount,
      reasonHash: options.reason,
    }),
  render: renderDisputed,
});
