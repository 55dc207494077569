import type { Address } from "viem";

import { addKey, type KeyChange } from "../../../ops/keys.js";
import { required, signedCommand } from "../../command.js";
import { machineOption } from "../../options.js";
import { address } from "../../parse.js";
import { renderKeyChange } from "../../render/keys.js";

export default signedCommand<{ machine: bigint; key: Address; kind: "device" | "inspector" }, KeyChange>({
  name: "add",
  summary: "add a signer key to a listing: a new device, or a worker's tablet for inspections (provider)",
  options: [
    machineOption,
    required("--key <address>", "the new key's address (never used before)", address),
    { flags: "--kind <kind>", description: "what signs with it", choices: ["device", "inspector"], default: "device" },
  ],
  job: (ops, wallet, options) =>
    addKey(ops, wallet, {
      machineId: options.machine,
      key: options.key,
      kind: options.kind === "device" ? "Device" : "Inspector",
    }),
  render: renderKeyChange,
});
