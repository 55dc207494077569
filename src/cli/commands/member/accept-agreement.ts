import { acceptAgreement, type Accepted } from "../../../ops/members.js";
import { signedCommand } from "../../command.js";
import { renderAccepted } from "../../render/members.js";

export default signedCommand<object, Accepted>({
  name: "accept-agreement",
  summary: "accept the framework agreement in force (a member, with one of its keys)",
  options: [],
  job: (ops, wallet) => acceptAgreement(ops, wallet),
  render: renderAccepted,
});
