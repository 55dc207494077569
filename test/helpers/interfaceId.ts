import { id, type Interface } from "ethers";

/** IERC165 (EIP-165). */
export const IERC165_SIGNATURES = ["supportsInterface(bytes4)"] as const;

/** OpenZeppelin's IAccessControl. */
export const IACCESS_CONTROL_SIGNATURES = [
  "hasRole(bytes32,address)",
  "getRoleAdmin(bytes32)",
  "grantRole(bytes32,address)",
  "revokeRole(bytes32,address)",
  "renounceRole(bytes32,address)",
] as const;

/** ERC-165 identifier of a set of function signatures: the XOR of their selectors. */
export function interfaceIdOf(signatures: Iterable<string>): string {
  let xor = 0;
  for (const signature of signatures) xor ^= Number.parseInt(id(signature).slice(2, 10), 16);
  return `0x${(xor >>> 0).toString(16).padStart(8, "0")}`;
}

/** Every function signature of `iface`, inherited ones included (as an ABI lists them). */
export function functionSignatures(iface: Interface): string[] {
  const signatures: string[] = [];
  iface.forEachFunction((fragment) => signatures.push(fragment.format("sighash")));
  return signatures;
}

/**
 * The signatures `iface` declares itself, leaving out the `inherited` ones, as Solidity's
 * `type(I).interfaceId` does.
 */
export function ownFunctions(iface: Interface, inherited: Iterable<string>): string[] {
  const skip = new Set(inherited);
  return functionSignatures(iface).filter((signature) => !skip.has(signature));
}
