import { keysOf } from "../../../ops/keys.js";
import { defineCommand } from "../../command.js";
import { machineOption } from "../../options.js";
import { renderKeys } from "../../render/keys.js";

export default defineCommand<{ machine: bigint }>({
  name: "list",
  summary: "a listing's signer keys, active and revoked (anyone)",
  options: [machineOption],
  async run(options, context) {
    const keys = await keysOf(await context.ops(), options.machine);
    return { json: keys, text: renderKeys(options.machine, keys) };
  },
});
