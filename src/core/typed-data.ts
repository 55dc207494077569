import type { Address, TypedDataDomain } from "viem";

/**
 * Every EIP-712 message of the system, defined once: used by the SDK, the agents, the tests and wallets
 * that show typed data. The domain always binds the chain id and the verifying contract.
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

/**
 * A device's usage report for an order (contracts/types/Metering.sol). A device key signs machine seconds,
 * units and licensed products; an inspector key signs inspections. Wallets show every field.
 */
export const usageReportTypes = {
  UsageReport: [
    { name: "orderId", type: "uint64" },
    { name: "sequence", type: "uint32" },
    { name: "periodStart", type: "uint40" },
    { name: "periodEnd", type: "uint40" },
    { name: "machineSeconds", type: "uint64" },
    { name: "units", type: "uint64" },
    { name: "inspections", type: "uint32" },
    { name: "licensedProducts", type: "uint64[]" },
    { name: "readingsRoot", type: "bytes32" },
  ],
} as const;

/** The usage meter's EIP-712 domain: name "UsageMeter", version "1", bound to chain and deployment. */
export function meterDomain(chainId: number, meter: Address): TypedDataDomain {
  return { name: "UsageMeter", version: "1", chainId, verifyingContract: meter };
}

/**
 * A payment on a channel (contracts/libraries/ChannelHash.sol): the signer (the payer) owes `payee` `amount`
 * in all, in token base units, on its channel opened with `nonce`; `usage` names the metered use it pays for
 * (for example the hash of a device-signed usage increment), or is zero. Signer, payee and nonce name the
 * channel, so a wallet shows whom it pays, on which channel, how much in all.
 */
export const voucherTypes = {
  Voucher: [
    { name: "payee", type: "address" },
    { name: "nonce", type: "uint96" },
    { name: "amount", type: "uint256" },
    { name: "usage", type: "bytes32" },
  ],
} as const;

/** The payee's agreement to close a channel with `amount` paid in all. */
export const closeAuthorizationTypes = {
  CloseAuthorization: [
    { name: "channel", type: "bytes32" },
    { name: "amount", type: "uint256" },
  ],
} as const;

/** The payment channels' EIP-712 domain: name "PaymentChannels", version "1", bound to chain and deployment. */
export function channelsDomain(chainId: number, channels: Address): TypedDataDomain {
  return { name: "PaymentChannels", version: "1", chainId, verifyingContract: channels };
}

/**
 * What a machine measured for one part or time slice of a channel, signed by a device key of the machine
 * (registered in the MachineRegistry) under the channels' domain; the voucher paying for it names its digest.
 */
export const channelUsageTypes = {
  ChannelUsage: [
    { name: "channel", type: "bytes32" },
    { name: "sequence", type: "uint32" },
    { name: "periodStart", type: "uint40" },
    { name: "periodEnd", type: "uint40" },
    { name: "machineSeconds", type: "uint64" },
    { name: "units", type: "uint64" },
    { name: "readingsRoot", type: "bytes32" },
  ],
} as const;
