import { ROLE_NAMES, type Role } from "../../../core/membership.js";
import { changeRole } from "../../../ops/membership.js";
import { required, type OptionDecl } from "../../command.js";
import { role } from "../../parse.js";
import { MEMBER, membershipCommand } from "./change.js";

export const ROLE: OptionDecl = required("--role <role>", `one of ${ROLE_NAMES.join(", ")}`, role);

export default membershipCommand<{ member: bigint; role: Role }>({
  name: "grant-role",
  summary: "grant a member a role (operator)",
  options: [MEMBER, ROLE],
  job: (ops, wallet, options) => changeRole(ops, wallet, options.member, options.role, true),
});
