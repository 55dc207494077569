import { removeMember } from "../../../ops/membership.js";
import { MEMBER, membershipCommand } from "./change.js";

export default membershipCommand<{ member: bigint }>({
  name: "remove",
  summary:
    "remove a member that asked to leave, once its notice period passed and nothing is open (member or operator)",
  options: [MEMBER],
  job: (ops, wallet, options) => removeMember(ops, wallet, options.member),
});
