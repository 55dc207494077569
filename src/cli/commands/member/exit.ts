import { requestExit } from "../../../ops/membership.js";
import { membershipCommand } from "./change.js";

export default membershipCommand<object>({
  name: "exit",
  summary: "ask to leave the consortium; removable after the notice period (a member, with one of its keys)",
  options: [],
  job: (ops, wallet) => requestExit(ops, wallet),
});
