import type { Address } from "viem";

import { rotateKey, type KeyChange } from "../../../ops/keys.js";
import { required, signedCommand } from "../../command.js";
import { machineOption } from "../../options.js";
import { address } from "../../parse.js";
import { renderKeyChange } from "../../render/keys.js";

export default signedCommand<{ machine: bigint; old: Address; new: Address }, KeyChange>({
  name: "rotate",
  summary: "replace a signer key by a new one of the same kind in one transaction (provider)",
  options: [
    machineOption,
    required("--old <address>", "the key to retire", address),
    required("--new <address>", "the new key's address", address),
  ],
  job: (ops, wallet, options) =>
    rotateKey(ops, wallet, { machineId: options.machine, oldKey: options.old, newKey: options.new }),
  render: renderKeyChange,
});
