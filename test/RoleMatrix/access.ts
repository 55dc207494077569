/** The role matrix's rows for Consortium: the operators' acts, then the members' own (see fixture.ts). */
import type { BaseContract } from "ethers";

import { Role, roleMask } from "../../src/core/membership.js";
import { referenceHash } from "../../src/core/references.js";
import { AGREEMENT_V1, FOUNDER_METADATA, NOTICE_PERIOD, type MarketFixture } from "../helpers/fixtures.js";
import {
  describeRows,
  ethers,
  memberCheck,
  memberId,
  networkHelpers,
  roleCheck,
  type Context,
  type Row,
} from "./fixture.js";

const AGREEMENT_V2 = referenceHash("framework agreement v2");

async function freshConsortiumAndToken(f: MarketFixture): Promise<Context> {
  const consortium = await ethers.deployContract("Consortium", [
    [f.operator.address],
    FOUNDER_METADATA,
    AGREEMENT_V1,
    NOTICE_PERIOD,
  ]);
  const token = await ethers.deployContract("SettlementToken", [await consortium.getAddress(), "T", "T"]);
  return { consortium, token };
}

export const CONSORTIUM_ROWS: Row[] = [
  // ------------------------------------------------------------------ Consortium: operators
  {
    fn: "Consortium.admit",
    call: (f, s) => f.consortium.connect(s).admit([f.spare[0]!.address], roleMask(Role.Consumer), FOUNDER_METADATA),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.consortium, "MemberAdmitted"] }),
  },
  {
    fn: "Consortium.suspend",
    call: (f, s) => f.consortium.connect(s).suspend(f.memberIds.licensor, ethers.ZeroHash),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.consortium, "MemberSuspended"] }),
  },
  {
    fn: "Consortium.reinstate",
    setup: async (f) => {
      await f.consortium.connect(f.operator).suspend(f.memberIds.licensor, ethers.ZeroHash);
      return {};
    },
    call: (f, s) => f.consortium.connect(s).reinstate(f.memberIds.licensor),
    expect: (f, c) =>
      // The suspended licensor itself is no longer in good standing.
      c === "licensor"
        ? { contract: f.consortium, error: "ConsortiumMemberSuspended", args: [f.memberIds.licensor] }
        : roleCheck(f, c, Role.Operator, { ok: true, event: [f.consortium, "MemberReinstated"] }),
  },
  {
    fn: "Consortium.grantMemberRole",
    call: (f, s) => f.consortium.connect(s).grantMemberRole(f.memberIds.licensor, Role.Provider),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.consortium, "MemberRoleGranted"] }),
  },
  {
    fn: "Consortium.revokeMemberRole",
    call: (f, s) => f.consortium.connect(s).revokeMemberRole(f.memberIds.licensor, Role.Licensor),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.consortium, "MemberRoleRevoked"] }),
  },
  {
    fn: "Consortium.publishAgreement",
    call: (f, s) => f.consortium.connect(s).publishAgreement(AGREEMENT_V2),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.consortium, "AgreementPublished"] }),
  },
  {
    fn: "Consortium.setNoticePeriod",
    call: (f, s) => f.consortium.connect(s).setNoticePeriod(3600),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.consortium, "NoticePeriodChanged"] }),
  },
  {
    fn: "Consortium.registerContract",
    setup: async () => ({ mock: await ethers.deployContract("MockObligations") }),
    call: async (f, s, ctx) => f.consortium.connect(s).registerContract(await (ctx.mock as BaseContract).getAddress()),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.consortium, "ContractRegistered"] }),
  },
  {
    fn: "Consortium.bindToken",
    setup: (f) => freshConsortiumAndToken(f),
    call: async (_f, s, ctx) => {
      const consortium = ctx.consortium as MarketFixture["consortium"];
      return consortium.connect(s).bindToken(await (ctx.token as BaseContract).getAddress());
    },
    // On the fresh Consortium only the founder (our operator) is a member.
    expect: (f, c, ctx) =>
      c === "operator"
        ? { ok: true, event: [ctx.consortium as BaseContract, "TokenBound"] }
        : { contract: f.consortium, error: "ConsortiumNotMember", args: [f[c].address] },
  },
  // ------------------------------------------------------------------ Consortium: members themselves
  {
    fn: "Consortium.addAccount",
    call: (f, s) => f.consortium.connect(s).addAccount(f.spare[0]!.address),
    expect: (f, c) => memberCheck(f, c, { ok: true, event: [f.consortium, "AccountAdded"] }),
  },
  {
    fn: "Consortium.removeAccount",
    setup: async (f, c) => {
      if (memberId(f, c) !== undefined) await f.consortium.connect(f[c]).addAccount(f.spare[0]!.address);
      return {};
    },
    call: (f, s) => f.consortium.connect(s).removeAccount(f.spare[0]!.address),
    expect: (f, c) => memberCheck(f, c, { ok: true, event: [f.consortium, "AccountRemoved"] }),
  },
  {
    fn: "Consortium.updateMetadata",
    call: (f, s) => f.consortium.connect(s).updateMetadata(FOUNDER_METADATA),
    expect: (f, c) => memberCheck(f, c, { ok: true, event: [f.consortium, "MetadataUpdated"] }),
  },
  {
    fn: "Consortium.acceptAgreement",
    setup: async (f) => {
      await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
      return {};
    },
    call: (f, s) => f.consortium.connect(s).acceptAgreement(AGREEMENT_V2),
    expect: (f, c) => memberCheck(f, c, { ok: true, event: [f.consortium, "AgreementAccepted"] }),
  },
  {
    fn: "Consortium.requestExit",
    call: (f, s) => f.consortium.connect(s).requestExit(),
    expect: (f, c) => memberCheck(f, c, { ok: true, event: [f.consortium, "ExitRequested"] }),
  },
  {
    fn: "Consortium.cancelExit",
    setup: async (f, c) => {
      if (memberId(f, c) !== undefined) await f.consortium.connect(f[c]).requestExit();
      return {};
    },
    call: (f, s) => f.consortium.connect(s).cancelExit(),
    expect: (f, c) => memberCheck(f, c, { ok: true, event: [f.consortium, "ExitCancelled"] }),
  },
  {
    fn: "Consortium.completeExit",
    setup: async (f) => {
      const leaver = f.spare[1]!;
      await f.consortium.connect(f.operator).admit([leaver.address], roleMask(Role.Consumer), FOUNDER_METADATA);
      await f.consortium.connect(leaver).requestExit();
      await networkHelpers.time.increase(NOTICE_PERIOD);
      return { leaverId: await f.consortium.memberCount() };
    },
    call: (f, s, ctx) => f.consortium.connect(s).completeExit(ctx.leaverId as bigint),
    // The leaver itself (not one of the callers here) or an operator completes an exit whose conditions hold.
    expect: (f, c, ctx) =>
      c === "operator"
        ? { ok: true, event: [f.consortium, "MemberExited"] }
        : { contract: f.consortium, error: "ConsortiumNotExitingMember", args: [f[c].address, ctx.leaverId] },
  },
];

describeRows(CONSORTIUM_ROWS);
