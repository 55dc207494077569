import type { Role } from "../../../core/membership.js";
import { changeRole } from "../../../ops/membership.js";
import { MEMBER, membershipCommand } from "./change.js";
import { ROLE } from "./grant-role.js";

export default membershipCommand<{ member: bigint; role: Role }>({
  name: "revoke-role",
  summary: "revoke one of a member's roles (operator)",
  options: [MEMBER, ROLE],
  job: (ops, wallet, options) => changeRole(ops, wallet, options.member, options.role, false),
});
