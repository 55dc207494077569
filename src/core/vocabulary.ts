/**
 * Capability tags and site codes: the registry stores a capability as the keccak-256 of its name and a site
 * as a short text in a bytes32. These helpers turn names into tags and back, so people read names.
 */
import { hexToString, keccak256, size, stringToBytes, stringToHex, type Hex } from "viem";

/** Capabilities the consortium's catalogue names; any other name works too, it just shows as a hash. */
export const KNOWN_CAPABILITIES = [
  "laser-cutting",
  "laser-engraving",
  "press-brake-bending",
  "sheet-metal",
  "cnc-milling",
  "cnc-turning",
  "welding",
  "rolling",
  "powder-coating",
  "3d-printing",
  "visual-inspection",
  "dimensional-inspection",
] as const;

/** The tag of a capability name: keccak-256 of the name in lower case, trimmed. */
export function capabilityTag(name: string): Hex {
  const normal = name.trim().toLowerCase();
  if (normal === "") throw new Error("A capability name must not be empty (e.g. laser-cutting).");
  if (/^0x[0-9a-f]{64}$/.test(normal)) return normal as Hex;
  return keccak256(stringToBytes(normal));
}

const NAMES = new Map<string, string>(KNOWN_CAPABILITIES.map((name) => [capabilityTag(name), name]));

/** The name of a tag if the catalogue knows it, else the tag itself. */
export function capabilityName(tag: Hex, extra: readonly string[] = []): string {
  const known = NAMES.get(tag.toLowerCase()) ?? extra.find((name) => capabilityTag(name) === tag.toLowerCase());
  return known ?? tag;
}

/** A site code such as "DE-HH-01" as the bytes32 the registry stores; at most 32 ASCII characters. */
export function siteCode(code: string): Hex {
  const trimmed = code.trim();
  if (trimmed === "" || !/^[\x21-\x7e]+$/.test(trimmed)) {
    throw new Error(`"${code}" is not a site code; use printable ASCII without spaces, e.g. DE-HH-01.`);
  }
  if (size(stringToHex(trimmed)) > 32) throw new Error(`Site code "${code}" is longer than 32 characters.`);
  return stringToHex(trimmed, { size: 32 });
}

/** The text of a stored site code. */
export function siteName(code: Hex): string {
  return hexToString(code, { size: 32 }).replace(/\0+$/, "");
}
