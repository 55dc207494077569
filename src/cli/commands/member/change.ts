/** The commands that change a member's standing: each names the member, and renders the change alike. */
import type { Wallet } from "../../../chain/transact.js";
import type { Ops } from "../../../ops/context.js";
import type { MembershipChange } from "../../../ops/membership.js";
import { signedCommand, type AnyCommand, type OptionDecl } from "../../command.js";
import { id } from "../../parse.js";
import { renderMembershipChange } from "../../render/members.js";

export const MEMBER: OptionDecl = { flags: "--member <id>", description: "the member id", parse: id, required: true };

export function membershipCommand<O>(spec: {
  name: string;
  summary: string;
  options: readonly OptionDecl[];
  job(ops: Ops, wallet: Wallet, options: O): Promise<MembershipChange>;
}): AnyCommand {
  return signedCommand<O, MembershipChange>({ ...spec, render: renderMembershipChange });
}
