/**
 * Names for what the chain knows by number or address: members by their registered name where the
 * Consortium's record carries one (today it stores the record's hash only, so a member is "member 3"; a
 * record with a `displayName` or `name` is shown by it as soon as the Consortium holds one), accounts by
 * their member, and the deployment's contracts by their contract name.
 */
import { isAddressEqual, type Address } from "viem";

import { clients, CONTRACT_NAMES, type Ops } from "./context.js";

/** A member's record name, if the Consortium's record holds one. */
function registeredName(record: object): string | undefined {
  for (const field of ["displayName", "name"]) {
    const value = (record as Record<string, unknown>)[field];
    if (typeof value === "string" && value.trim() !== "") return value.trim();
  }
  return undefined;
}

/** Names members, accounts and contracts of one deployment, reading each member once. */
export class Names {
  readonly #members = new Map<bigint, Promise<string>>();

  constructor(readonly ops: Ops) {}

  /** "member 3", or "member 3 (Acme GmbH)" where the record names it. */
  member(memberId: bigint): Promise<string> {
    let label = this.#members.get(memberId);
    if (label === undefined) {
      label = clients(this.ops)
        .layer.member(memberId)
        .then(
          (record) => {
            const name = registeredName(record);
            return name === undefined ? `member ${memberId}` : `member ${memberId} (${name})`;
          },
          () => `member ${memberId}`,
        );
      this.#members.set(memberId, label);
    }
    return label;
  }

  /** The member an account belongs to: "member 3", or "no member" for an account the Consortium does not know. */
  async accountOwner(account: Address): Promise<{ memberId: bigint; active: boolean; label: string }> {
    const { memberId, active } = await clients(this.ops).layer.memberOf(account);
    return { memberId, active, label: memberId === 0n ? "no member" : await this.member(memberId) };
  }

  /** The deployment's contract at `address` by name ("UsageMeter"), or undefined for any other address. */
  contract(address: Address): string | undefined {
    for (const [key, name] of Object.entries(CONTRACT_NAMES) as [keyof typeof CONTRACT_NAMES, string][]) {
      if (isAddressEqual(this.ops.addresses[key], address)) return name;
    }
    return undefined;
  }
}
