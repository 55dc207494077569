/**
 * Checks a deployment's addresses before a command uses them: every address holds code, and each contract
 * is wired to the others the file names (the token to its Consortium and gateway, the meter to its registry,
 * and so on). A file of another deployment, another network or with two addresses swapped is refused here,
 * saying which contract was expected at which address, instead of failing later as a raw revert.
 */
import { isAddressEqual, parseAbi, type Address } from "viem";

import type { MarketAddresses } from "../chain/transact.js";
import { CONTRACT_NAMES, OpsInputError, type Ops } from "./context.js";

type Key = keyof MarketAddresses;

/** What each contract reports about the others, as `of.read() == is`. */
const LINKS: readonly { of: Key; read: string; is: Key }[] = [
  { of: "token", read: "consortium", is: "consortium" },
  { of: "consortium", read: "token", is: "token" },
  { of: "token", read: "gateway", is: "gateway" },
  { of: "licenseRegistry", read: "consortium", is: "consortium" },
  { of: "machineRegistry", read: "consortium", is: "consortium" },
  { of: "machineRegistry", read: "licenseRegistry", is: "licenseRegistry" },
  { of: "usageMeter", read: "registry", is: "machineRegistry" },
  { of: "usageMeter", read: "token", is: "token" },
  { of: "readingVerifier", read: "meter", is: "usageMeter" },
  { of: "paymentChannels", read: "token", is: "token" },
  { of: "paymentChannels", read: "consortium", is: "consortium" },
];

const HINT =
  "Check the addresses file (--addresses or $OPS_ADDRESSES) and the node (--rpc-url or $OPS_RPC_URL): " +
  "npm run deploy prints the OPS_ADDRESSES line to export for its deployment.";

/** Where else the file puts an address: " (the file's FiatGateway)" if it names it for another contract too. */
function alias(addresses: MarketAddresses, key: Key): string {
  const other = (Object.keys(CONTRACT_NAMES) as Key[]).find(
    (k) => k !== key && isAddressEqual(addresses[k], addresses[key]),
  );
  return other === undefined ? "" : `; that is the address the file gives the ${CONTRACT_NAMES[other]}`;
}

/** Throws an OpsInputError naming the first contract that is missing, another contract, or wired elsewhere. */
export async function checkDeployment(ops: Ops): Promise<void> {
  const client = ops.chain.publicClient;
  const keys = Object.keys(CONTRACT_NAMES) as Key[];
  const codes = await Promise.all(keys.map((key) => client.getCode({ address: ops.addresses[key] })));
  const chainId = await client.getChainId();
  for (const [i, key] of keys.entries()) {
    if (codes[i] === undefined || codes[i] === "0x") {
      throw new OpsInputError(
        `There is no contract at ${ops.addresses[key]} on chain ${chainId}, where the addresses file puts the ` +
          `${CONTRACT_NAMES[key]}.`,
        { code: "deployment.noCode", input: { name: key, value: ops.addresses[key] }, hint: HINT },
      );
    }
  }
  const reads = await Promise.all(
    LINKS.map(({ of, read }) =>
      client
        .readContract({
          address: ops.addresses[of],
          abi: parseAbi([`function ${read}() view returns (address)`]),
          functionName: read,
        })
        .then(
          (value): Address | undefined => value,
          () => undefined,
        ),
    ),
  );
  for (const [i, { of, read, is }] of LINKS.entries()) {
    const value = reads[i];
    if (value === undefined) {
      throw new OpsInputError(
        `The contract at ${ops.addresses[of]} is not the ${CONTRACT_NAMES[of]} the addresses file says it is ` +
          `(it does not answer ${read}())${alias(ops.addresses, of)}.`,
        { code: "deployment.wrongContract", input: { name: of, value: ops.addresses[of] }, hint: HINT },
      );
    }
    if (!isAddressEqual(value, ops.addresses[is])) {
      throw new OpsInputError(
        `The ${CONTRACT_NAMES[of]} at ${ops.addresses[of]} works with the ${CONTRACT_NAMES[is]} at ${value}, ` +
          `but the addresses file expects the ${CONTRACT_NAMES[is]} at ${ops.addresses[is]}${alias(ops.addresses, is)}.`,
        { code: "deployment.miswired", input: { name: is, value: ops.addresses[is] }, hint: HINT },
      );
    }
  }
}
