/** The commands that change a member's standing: each names the member, and renders the change alike. */
import type { Wallet } from "../../../chain/transact.js";
import type { Ops } from "../../../ops/context.js";
import type { MembershipChange } from "../../../ops/membership.js";
import { type AnyCommand, type OptionDecl, required, signedCommand } from "../../command.js";
import { id } from "../../parse.js";
import { renderMembershipChange } from "../../render/members.js";

export const MEMBER: OptionDecl = required("--member <id>", "the member id", id);

export function membershipCommand<O>(spec: {
  name: string;
  summary: string;
  options: readonly OptionDecl[];
  job(ops: Ops, wallet: Wallet, options: O): Promise<MembershipChange>;
}): AnyCommand {
  return signedCommand<O, MembershipChange>({ ...spec, render: renderMembershipChange });
}
