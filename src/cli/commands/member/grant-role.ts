import { ROLE_NAMES, type Role } from "../../../core/membership.js";
import { changeRole } from "../../../ops/membership.js";
import type { OptionDecl } from "../../command.js";
import { role } from "../../parse.js";
import { MEMBER, membershipCommand } from "./change.js";

export const ROLE: OptionDecl = {
  flags: "--role <role>",
  description: `one of ${ROLE_NAMES.join(", ")}`,
  parse: role,
  required: true,
};

export default membershipCommand<{ member: bigint; role: Role }>({
  name: "grant-role",
  summary: "grant a member a role (operator)",
  options: [MEMBER, ROLE],
  job: (ops, wallet, options) => changeRole(ops, wallet, options.member, options.role, true),
});
