import type { Address, TypedDataDomain } from "viem";

/**
 * Every EIP-712 message of the system, defined once: used by the SDK, the agents, the tests and wallets
 * that show typed data. The domain always binds the chain id and the verifying contract. Each message's
 * field table (src/core/message.ts) lives with the message; this module gathers them.
 */

/** EIP-2612 permit of the settlement token (OpenZeppelin ERC20Permit, domain version "1"). */
export const permitTypes = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** The settlement token's EIP-712 domain: its name is the token name, version "1". */
export function tokenDomain(name: string, chainId: number, token: Address): TypedDataDomain {
  return { name, version: "1", chainId, verifyingContract: token };
}

export { meterDomain, usageReportFields, usageReportTypes } from "./report.js";
export {
  channelsDomain,
  closeAuthorizationFields,
  closeAuthorizationTypes,
  voucherFields,
  voucherTypes,
} from "./voucher.js";
export { channelUsageTypes, usageIncrementFields } from "./increment.js";
