/** The role matrix's rows for SettlementToken and FiatGateway (see fixture.ts). */
import type { BaseContract } from "ethers";

import { Role } from "../../src/core/membership.js";
import { parseEuro } from "../../src/core/money.js";
import { referenceHash } from "../../src/core/references.js";
import type { MarketFixture } from "../helpers/fixtures.js";
import type { SignedPermit } from "../helpers/permit.js";
import {
  consumerChannel,
  describeRows,
  ethers,
  memberCheck,
  memberId,
  networkHelpers,
  permitFor,
  roleCheck,
  type Row,
} from "./fixture.js";

export const TOKEN_ROWS: Row[] = [
  // ------------------------------------------------------------------ SettlementToken
  {
    fn: "SettlementToken.transfer",
    call: (f, s) => f.token.connect(s).transfer(f.provider.address, 1n),
    expect: (f, c) =>
      memberId(f, c) === undefined
        ? { contract: f.token, error: "SettlementTokenNotMember", args: [f[c].address] }
        : { ok: true, event: [f.token, "Transfer"] },
  },
  {
    fn: "SettlementToken.transferFrom",
    call: (f, s) => f.token.connect(s).transferFrom(f.consumer.address, f.provider.address, 1n),
    // The spender moves money too, so it must be a member in good standing.
    expect: (f, c) =>
      memberId(f, c) === undefined
        ? { contract: f.token, error: "SettlementTokenNotMember", args: [f[c].address] }
        : { ok: true, event: [f.token, "Transfer"] },
  },
  {
    fn: "SettlementToken.approve",
    call: (f, s) => f.token.connect(s).approve(f.provider.address, 1n),
    expect: (f) => ({ ok: true, event: [f.token, "Approval"] }),
  },
  {
    fn: "SettlementToken.permit",
    setup: async (f) => ({ permit: await permitFor(f, f.consumer, f.provider.address, 5n) }),
    call: (f, s, ctx) => {
      const p = ctx.permit as SignedPermit;
      const m = p.message;
      return f.token.connect(s).permit(m.owner, m.spender, m.value, m.deadline, p.v, p.r, p.s);
    },
    // Anyone may submit a permit the owner signed.
    expect: (f) => ({ ok: true, event: [f.token, "Approval"] }),
  },
  {
    fn: "SettlementToken.mint",
    call: (f, s) => f.token.connect(s).mint(f.consumer.address, 1n),
    expect: (f, c) => ({ contract: f.token, error: "SettlementTokenNotGateway", args: [f[c].address] }),
  },
  {
    fn: "SettlementToken.burn",
    call: (f, s) => f.token.connect(s).burn(1n),
    expect: (f, c) => ({ contract: f.token, error: "SettlementTokenNotGateway", args: [f[c].address] }),
  },
  {
    fn: "SettlementToken.pause",
    call: (f, s) => f.token.connect(s).pause(),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.token, "Paused"] }),
  },
  {
    fn: "SettlementToken.unpause",
    setup: async (f) => {
      await f.token.connect(f.operator).pause();
      return {};
    },
    call: (f, s) => f.token.connect(s).unpause(),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.token, "Unpaused"] }),
  },
  {
    fn: "SettlementToken.bindGateway",
    setup: async (f) => ({
      fresh: await ethers.deployContract("SettlementToken", [await f.consortium.getAddress(), "T", "T"]),
    }),
    call: (f, s, ctx) => (ctx.fresh as MarketFixture["token"]).connect(s).bindGateway(f.minter.address),
    expect: (f, c, ctx) =>
      roleCheck(f, c, Role.Operator, { ok: true, event: [ctx.fresh as BaseContract, "GatewayBound"] }),
  },
  {
    fn: "SettlementToken.setStanding",
    call: (f, s) => f.token.connect(s).setStanding(f.outsider.address, 2),
    expect: (f, c) => ({ contract: f.token, error: "SettlementTokenNotConsortium", args: [f[c].address] }),
  },
  {
    fn: "SettlementToken.setRoles",
    call: (f, s) => f.token.connect(s).setRoles(f.outsider.address, 4, 1),
    expect: (f, c) => ({ contract: f.token, error: "SettlementTokenNotConsortium", args: [f[c].address] }),
  },
  {
    // Only the Consortium pushes the agreement in force (publishAgreement, bindToken).
    fn: "SettlementToken.setCurrentAgreement",
    call: (f, s) => f.token.connect(s).setCurrentAgreement(2),
    expect: (f, c) => ({ contract: f.token, error: "SettlementTokenNotConsortium", args: [f[c].address] }),
  },
  {
    // Only the Consortium sweeps, as it removes an account. Each member caller holds 100 EUR, so only the caller
    // check stands in the way of a sweep to the provider.
    fn: "SettlementToken.sweep",
    call: (f, s) => f.token.connect(s).sweep(f.consumer.address, f.provider.address),
    expect: (f, c) => ({ contract: f.token, error: "SettlementTokenNotConsortium", args: [f[c].address] }),
  },
  {
    // Only the consortium's contracts escrow; the consumer approved every caller, which changes nothing.
    fn: "SettlementToken.escrowFrom",
    call: (f, s) => f.token.connect(s).escrowFrom(f.consumer.address, 1n, Role.Consumer),
    expect: (f, c) => ({ contract: f.token, error: "SettlementTokenNotSystemContract", args: [f[c].address] }),
  },
  {
    fn: "SettlementToken.releaseTo",
    setup: async (f) => {
      // A hold on the consumer (its channel), so that only the caller check stands in the way.
      await consumerChannel(f);
      return {};
    },
    call: (f, s) => f.token.connect(s).releaseTo(f.consumer.address, 0n),
    expect: (f, c) => ({ contract: f.token, error: "SettlementTokenNotSystemContract", args: [f[c].address] }),
  },
  // ------------------------------------------------------------------ FiatGateway
  {
    fn: "FiatGateway.configureMinter",
    call: (f, s) => f.gateway.connect(s).configureMinter(f.outsider.address, 1n),
    expect: async (f, c) =>
      c === "masterMinter"
        ? { ok: true, event: [f.gateway, "MinterConfigured"] }
        : {
            contract: f.gateway,
            error: "AccessControlUnauthorizedAccount",
            args: [f[c].address, await f.gateway.MASTER_MINTER_ROLE()],
          },
  },
  {
    fn: "FiatGateway.removeMinter",
    call: (f, s) => f.gateway.connect(s).removeMinter(f.minter.address),
    expect: async (f, c) =>
      c === "masterMinter"
        ? { ok: true, event: [f.gateway, "MinterRemoved"] }
        : {
            contract: f.gateway,
            error: "AccessControlUnauthorizedAccount",
            args: [f[c].address, await f.gateway.MASTER_MINTER_ROLE()],
          },
  },
  {
    fn: "FiatGateway.mint",
    call: (f, s) => f.gateway.connect(s).mint(f.consumer.address, 1n, referenceHash("matrix deposit")),
    expect: (f, c) =>
      c === "minter"
        ? { ok: true, event: [f.gateway, "Minted"] }
        : { contract: f.gateway, error: "FiatGatewayNotMinter", args: [f[c].address] },
  },
  {
    fn: "FiatGateway.attestReserve",
    call: async (f, s) =>
      f.gateway.connect(s).attestReserve(parseEuro("2000000"), await networkHelpers.time.latest(), referenceHash("r")),
    expect: (f, c) => roleCheck(f, c, Role.Auditor, { ok: true, event: [f.gateway, "ReserveAttested"] }),
  },
  {
    fn: "FiatGateway.requestRedemption",
    setup: async (f, c) => {
      await f.token.connect(f[c]).approve(await f.gateway.getAddress(), 1n);
      return {};
    },
    call: (f, s) => f.gateway.connect(s).requestRedemption(1n, referenceHash("payout")),
    expect: (f, c) => memberCheck(f, c, { ok: true, event: [f.gateway, "RedemptionRequested"] }),
  },
  {
    fn: "FiatGateway.requestRedemptionWithPermit",
    setup: async (f, c) => ({ permit: await permitFor(f, f[c], await f.gateway.getAddress(), 1n) }),
    call: (f, s, ctx) => {
      const p = ctx.permit as SignedPermit;
      return f.gateway
        .connect(s)
        .requestRedemptionWithPermit(1n, referenceHash("payout"), p.message.deadline, p.v, p.r, p.s);
    },
    expect: (f, c) => memberCheck(f, c, { ok: true, event: [f.gateway, "RedemptionRequested"] }),
  },
  {
    fn: "FiatGateway.markRedemptionPaid",
    setup: async (f) => {
      await f.token.connect(f.consumer).approve(await f.gateway.getAddress(), 3n);
      await f.gateway.connect(f.consumer).requestRedemption(3n, referenceHash("payout"));
      return {};
    },
    call: (f, s) => f.gateway.connect(s).markRedemptionPaid(1n, referenceHash("bank tx")),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.gateway, "RedemptionPaid"] }),
  },
  {
    fn: "FiatGateway.rejectRedemption",
    setup: async (f) => {
      await f.token.connect(f.consumer).approve(await f.gateway.getAddress(), 3n);
      await f.gateway.connect(f.consumer).requestRedemption(3n, referenceHash("payout"));
      return {};
    },
    call: (f, s) => f.gateway.connect(s).rejectRedemption(1n, referenceHash("reason")),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.gateway, "RedemptionRejected"] }),
  },
  {
    fn: "FiatGateway.grantRole",
    call: async (f, s) => f.gateway.connect(s).grantRole(await f.gateway.MASTER_MINTER_ROLE(), f.outsider.address),
    expect: async (f, c) =>
      c === "issuerAdmin"
        ? { ok: true, event: [f.gateway, "RoleGranted"] }
        : {
            contract: f.gateway,
            error: "AccessControlUnauthorizedAccount",
            args: [f[c].address, await f.gateway.DEFAULT_ADMIN_ROLE()],
          },
  },
  {
    fn: "FiatGateway.revokeRole",
    call: async (f, s) => f.gateway.connect(s).revokeRole(await f.gateway.MASTER_MINTER_ROLE(), f.masterMinter.address),
    expect: async (f, c) =>
      c === "issuerAdmin"
        ? { ok: true, event: [f.gateway, "RoleRevoked"] }
        : {
            contract: f.gateway,
            error: "AccessControlUnauthorizedAccount",
            args: [f[c].address, await f.gateway.DEFAULT_ADMIN_ROLE()],
          },
  },
  {
    fn: "FiatGateway.renounceRole",
    setup: async (f, c) => {
      await f.gateway.connect(f.issuerAdmin).grantRole(await f.gateway.MASTER_MINTER_ROLE(), f[c].address);
      return {};
    },
    call: async (f, s) => f.gateway.connect(s).renounceRole(await f.gateway.MASTER_MINTER_ROLE(), s.address),
    // Anyone may give up a role it holds, and only its own.
    expect: (f) => ({ ok: true, event: [f.gateway, "RoleRevoked"] }),
  },
];

describeRows(TOKEN_ROWS);
