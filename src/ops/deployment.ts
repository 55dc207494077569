/**
 * A command's deployment check: the addresses file checked once before a command uses it (src/contracts/system.ts
 * verifySystem: code at each address, each the contract it is given for, all wired to each other), its problems
 * said as refused input, so that a file of another deployment or network, or with two addresses swapped,
 * is refused with the contract expected at which address instead of failing later as a raw revert.
 */
import { SystemAddressError, verifySystem } from "../contracts/system.js";
import { OpsInputError, type Ops } from "./context.js";

const HINT =
  "Check the addresses file (--addresses or $OPS_ADDRESSES) and the node (--rpc-url or $OPS_RPC_URL): " +
  "npm run deploy prints the OPS_ADDRESSES line to export for its deployment.";

/** Throws an OpsInputError naming every contract that is missing, another contract, or wired elsewhere (code: the first). */
export async function checkDeployment(ops: Ops): Promise<void> {
  try {
    await verifySystem(ops.chain.publicClient, ops.addresses, "the addresses file");
  } catch (error) {
    if (!(error instanceof SystemAddressError)) throw error;
    const [first] = error.problems;
    throw new OpsInputError(error.problems.map(({ problem }) => problem).join(" "), {
      code: `deployment.${first!.kind}`,
      input: { name: first!.contract, value: first!.address },
      hint: HINT,
    });
  }
}
