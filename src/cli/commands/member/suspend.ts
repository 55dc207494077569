import type { Hex } from "viem";

import { suspendMember } from "../../../ops/membership.js";
import { reference } from "../../parse.js";
import { MEMBER, membershipCommand } from "./change.js";
import { required } from "../../command.js";

export default membershipCommand<{ member: bigint; reason: Hex }>({
  name: "suspend",
  summary: "suspend a member: its accounts stop sending and starting business, still receive (operator)",
  options: [MEMBER, required("--reason <text>", "the written reason or its 32-byte hash", reference)],
  job: (ops, wallet, options) => suspendMember(ops, wallet, options.member, options.reason),
});
