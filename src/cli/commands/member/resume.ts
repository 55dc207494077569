import { resumeMember } from "../../../ops/membership.js";
import { MEMBER, membershipCommand } from "./change.js";

export default membershipCommand<{ member: bigint }>({
  name: "resume",
  summary: "lift a member's suspension (operator)",
  options: [MEMBER],
  job: (ops, wallet, options) => resumeMember(ops, wallet, options.member),
});
