import type { Address, Hex } from "viem";

import { ROLE_NAMES, type Role } from "../../../core/membership.js";
import { admitMember, type Admitted } from "../../../ops/members.js";
import { signedCommand } from "../../command.js";
import { address, list, reference, role } from "../../parse.js";
import { renderAdmitted } from "../../render/members.js";

export default signedCommand<{ accounts: Address[]; roles: Role[]; record: Hex }, Admitted>({
  name: "admit",
  summary: "admit a company with its accounts and roles (operator)",
  options: [
    {
      flags: "--accounts <addresses>",
      description: "the company's accounts, comma-separated",
      parse: list(address),
      required: true,
    },
    {
      flags: "--roles <roles>",
      description: `its roles, comma-separated: ${ROLE_NAMES.join(", ")}`,
      parse: list(role),
      required: true,
    },
    {
      flags: "--record <text>",
      description: "the member record (company name, register entry) or its 32-byte hash",
      parse: reference,
      required: true,
    },
  ],
  job: (ops, wallet, options) =>
    admitMember(ops, wallet, { accounts: options.accounts, roles: options.roles, metadataHash: options.record }),
  render: renderAdmitted,
});
