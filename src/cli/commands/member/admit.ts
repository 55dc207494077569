import type { Address, Hex } from "viem";

import { ROLE_NAMES, type Role } from "../../../core/membership.js";
import { admitMember, type Admitted } from "../../../ops/members.js";
import { required, signedCommand } from "../../command.js";
import { address, list, reference, role } from "../../parse.js";
import { renderAdmitted } from "../../render/members.js";

export default signedCommand<{ accounts: Address[]; roles: Role[]; record: Hex }, Admitted>({
  name: "admit",
  summary: "admit a company with its accounts and roles (operator)",
  options: [
    required("--accounts <addresses>", "the company's accounts, comma-separated", list(address)),
    required("--roles <roles>", `its roles, comma-separated: ${ROLE_NAMES.join(", ")}`, list(role)),
    required("--record <text>", "the member record (company name, register entry) or its 32-byte hash", reference),
  ],
  job: (ops, wallet, options) =>
    admitMember(ops, wallet, { accounts: options.accounts, roles: options.roles, metadataHash: options.record }),
  render: renderAdmitted,
});
