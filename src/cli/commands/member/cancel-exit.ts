import { cancelExit } from "../../../ops/membership.js";
import { membershipCommand } from "./change.js";

export default membershipCommand<object>({
  name: "cancel-exit",
  summary: "withdraw the request to leave (a member, with one of its keys)",
  options: [],
  job: (ops, wallet) => cancelExit(ops, wallet),
});
