import type { Address } from "viem";

import { revokeKey, type KeyChange } from "../../../ops/keys.js";
import { required, signedCommand } from "../../command.js";
import { machineOption } from "../../options.js";
import { address } from "../../parse.js";
import { renderKeyChange } from "../../render/keys.js";

export default signedCommand<{ machine: bigint; key: Address }, KeyChange>({
  name: "revoke",
  summary: "revoke a signer key: nothing it signs from now on counts (provider)",
  options: [machineOption, required("--key <address>", "the key's address", address)],
  job: (ops, wallet, options) => revokeKey(ops, wallet, { machineId: options.machine, key: options.key }),
  render: renderKeyChange,
});
