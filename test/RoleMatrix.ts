/**
 * The role matrix: every state-changing function of Consortium, SettlementToken, FiatGateway,
 * LicenseRegistry, MachineRegistry, UsageMeter and PaymentChannels, called
 * by every part a caller can play: the five member roles, an outsider, and the issuer's keys (master
 * minter, minter, admin), which are not consortium members. Each cell is asserted: the call succeeds
 * with its event (a batch that skips what it cannot pay succeeds without it), or reverts with the specific
 * custom error and arguments. The test names are the matrix.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { verifyTypedData, type BaseContract, type ContractTransactionResponse } from "ethers";
import { network } from "hardhat";

import { getAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { KeyKind } from "../src/core/listing.js";
import { NO_USAGE, channelIdOf, compact } from "../src/core/voucher.js";
import { encodeReportBatch } from "../src/codec/batch.js";
import { signReport, type SignedReport } from "../src/core/report.js";
import { Role, roleMask } from "../src/core/membership.js";
import { parseEuro } from "../src/core/money.js";
import { referenceHash } from "../src/core/references.js";
import { channelsDomain, closeAuthorizationTypes, voucherTypes } from "../src/core/typed-data.js";
import {
  AGREEMENT_V1,
  FOUNDER_METADATA,
  NOTICE_PERIOD,
  marketFixture,
  mintTo,
  type MarketFixture,
} from "./helpers/fixtures.js";
import {
  LICENCE_TERMS,
  profileArg,
  randomKey,
  registerSampleLicense,
  registerSampleMachine,
  sampleProfile,
  sampleTariff,
  tariffArg,
} from "./helpers/registry.js";
import { signPermit, type SignedPermit } from "./helpers/permit.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const layer = marketFixture(connection);

const CALLERS = [
  "operator",
  "provider",
  "consumer",
  "licensor",
  "auditor",
  "outsider",
  "masterMinter",
  "minter",
  "issuerAdmin",
] as const;
type Caller = (typeof CALLERS)[number];
const MEMBER_ROLE: Partial<Record<Caller, Role>> = {
  operator: Role.Operator,
  provider: Role.Provider,
  consumer: Role.Consumer,
  licensor: Role.Licensor,
  auditor: Role.Auditor,
};
const ROLE_NAME = ["Operator", "Provider", "Consumer", "Licensor", "Auditor"];
const AGREEMENT_V2 = referenceHash("framework agreement v2");

/** Every member caller holds 100 EUR; the consumer approved the gateway and every caller for 10 EUR. */
async function matrixFixture() {
  const f = await layer();
  for (const caller of CALLERS) {
    if (MEMBER_ROLE[caller] !== undefined) await mintTo(f, f[caller].address, parseEuro("100"));
  }
  for (const caller of CALLERS) await f.token.connect(f.consumer).approve(f[caller].address, parseEuro("10"));
  return f;
}

/** A success with its event (or, with `absent`, a success that emits no such event), or a specific revert. */
type Outcome =
  | { ok: true; event: [BaseContract, string]; absent?: true }
  | { contract: BaseContract; error: string; args: readonly unknown[] };

interface Row {
  fn: string;
  /** State the call needs, prepared for the given caller. */
  setup?: (f: MarketFixture, caller: Caller) => Promise<Context>;
  call: (
    f: MarketFixture,
    signer: HardhatEthersSigner,
    ctx: Context,
    caller: Caller,
  ) => Promise<ContractTransactionResponse>;
  expect: (f: MarketFixture, caller: Caller, ctx: Context) => Promise<Outcome> | Outcome;
}
type Context = Record<string, unknown>;

const memberId = (f: MarketFixture, caller: Caller): bigint | undefined =>
  MEMBER_ROLE[caller] === undefined ? undefined : f.memberIds[caller as keyof MarketFixture["memberIds"]];

/** What a Consortium role check answers for `caller`. */
function roleCheck(f: MarketFixture, caller: Caller, role: Role, ok: Outcome): Outcome {
  const id = memberId(f, caller);
  if (id === undefined) return { contract: f.consortium, error: "ConsortiumNotMember", args: [f[caller].address] };
  if (MEMBER_ROLE[caller] !== role) return { contract: f.consortium, error: "ConsortiumMissingRole", args: [id, role] };
  return ok;
}

/** Protective acts on a listing: any account of the owning provider; other members do not own it. */
function ownerCheck(f: MarketFixture, caller: Caller, ctx: Context, event: string): Outcome {
  return memberCheck(
    f,
    caller,
    caller === "provider"
      ? { ok: true, event: [f.machines, event] }
      : { contract: f.machines, error: "MachineRegistryNotOwner", args: [ctx.machineId, memberId(f, caller)] },
  );
}

function memberCheck(f: MarketFixture, caller: Caller, ok: Outcome): Outcome {
  return memberId(f, caller) === undefined
    ? { contract: f.consortium, error: "ConsortiumNotMember", args: [f[caller].address] }
    : ok;
}

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

/** A permit signed by `owner` for `spender`, valid for an hour. */
async function permitFor(f: MarketFixture, owner: HardhatEthersSigner, spender: string, value: bigint) {
  return signPermit(f.token, owner, spender, value, BigInt(await networkHelpers.time.latest()) + 3600n);
}

/** A machine of the provider with a device key, and an order of 20 EUR by the consumer (dispute window 0). */
async function bookedOrder(f: MarketFixture, options: { feeBps?: number; report?: boolean } = {}): Promise<Context> {
  const device = privateKeyToAccount(generatePrivateKey());
  if (options.feeBps !== undefined) await f.meter.connect(f.operator).setPlatformFee(options.feeBps);
  const machineId = await registerSampleMachine(f, { keys: [device.address] });
  await f.token.connect(f.consumer).approve(await f.meter.getAddress(), parseEuro("20"));
  const now = await networkHelpers.time.latest();
  await f.meter.connect(f.consumer).openOrder(orderTerms(machineId, now + 86_400));
  const orderId = await f.meter.getOrder(1n).then(() => 1n);
  const { chainId } = await ethers.provider.getNetwork();
  await networkHelpers.time.increase(60);
  const end = await networkHelpers.time.latest();
  const signed = await signReport(
    device,
    { chainId: Number(chainId), meter: getAddress(await f.meter.getAddress()) },
    {
      orderId,
      sequence: 1,
      periodStart: end - 30,
      periodEnd: end,
      machineSeconds: 30n,
      units: 1n,
      inspections: 0,
      licensedProducts: [],
      readingsRoot: referenceHash("readings") as `0x${string}`,
    },
  );
  if (options.report === true) await f.meter.submitReport(reportArg(signed), signed.signature);
  return { machineId, orderId, signed };
}

function orderTerms(machineId: bigint, expiresAt: number) {
  return {
    machineId,
    tariffVersion: 1,
    budget: parseEuro("20"),
    expiresAt,
    disputeWindow: 0,
    capPerPeriod: 0n,
    capPeriod: 0,
    capability: referenceHash("laser-cutting"),
    licenseVersions: [],
  };
}

/** The typed-data definitions as the mutable objects ethers' signer expects. */
const VOUCHER_TYPES = { Voucher: voucherTypes.Voucher.map((field) => ({ ...field })) };
const CLOSE_TYPES = { CloseAuthorization: closeAuthorizationTypes.CloseAuthorization.map((field) => ({ ...field })) };
const CHANNEL_DEPOSIT = parseEuro("10");
const CHANNEL_CHALLENGE = 3600;

/**
 * A channel of 10 EUR from the consumer to the provider (a day long, an hour's challenge period), the consumer's
 * voucher for 1 EUR in all on it and the provider's authorisation to close it at 1 EUR. The consumer approved the
 * channels for 20 EUR, so that a top-up can follow.
 */
async function consumerChannel(f: MarketFixture): Promise<Context> {
  const channels = await f.channels.getAddress();
  await f.token.connect(f.consumer).approve(channels, 2n * CHANNEL_DEPOSIT);
  const expiresAt = (await networkHelpers.time.latest()) + 86_400;
  const receipt = await (
    await f.channels.connect(f.consumer).open(f.provider.address, 1, CHANNEL_DEPOSIT, expiresAt, CHANNEL_CHALLENGE)
  ).wait();
  const opened = receipt!.logs
    .map((log) => f.channels.interface.parseLog(log))
    .find((e) => e?.name === "ChannelOpened");
  const nonce = opened!.args.nonce as bigint;
  const { chainId } = await ethers.provider.getNetwork();
  const domain = channelsDomain(Number(chainId), getAddress(channels));
  const amount = parseEuro("1");
  const voucher = { payee: f.provider.address, nonce, amount, usage: NO_USAGE };
  const voucherSignature = await f.consumer.signTypedData(domain, VOUCHER_TYPES, voucher);
  const id = channelIdOf({ payer: getAddress(f.consumer.address), payee: getAddress(f.provider.address), nonce });
  const closeSignature = await f.provider.signTypedData(domain, CLOSE_TYPES, { channel: id, amount });
  return { nonce, id, amount, domain, voucherSignature, closeSignature };
}

/**
 * Opening a channel to the provider: only a consumer's account may pay, and the provider cannot pay itself. The
 * token checks the payer with the escrow: a caller that is no member's account cannot send, a member without the
 * consumer role may not start business as one.
 */
function payerCheck(f: MarketFixture, caller: Caller, ok: Outcome): Outcome {
  if (caller === "provider")
    return { contract: f.channels, error: "PaymentChannelsInvalidPayee", args: [f.provider.address] };
  if (memberId(f, caller) === undefined) {
    return { contract: f.token, error: "SettlementTokenNotMember", args: [f[caller].address] };
  }
  if (caller !== "consumer") {
    return { contract: f.token, error: "SettlementTokenMissingRole", args: [f[caller].address, Role.Consumer] };
  }
  return ok;
}

/** The payer's acts on the consumer's channel: any other caller names another channel, which does not exist. */
function channelPayerCheck(f: MarketFixture, caller: Caller, ctx: Context, ok: Outcome): Outcome {
  if (caller === "consumer") return ok;
  const id = channelIdOf({
    payer: getAddress(f[caller].address),
    payee: getAddress(f.provider.address),
    nonce: ctx.nonce as bigint,
  });
  return { contract: f.channels, error: "PaymentChannelsUnknownChannel", args: [id] };
}

/** A claim of the consumer's voucher: for any caller but the provider the voucher names another payee, so an
 * unrelated signer recovers and has no channel to the caller. */
function payeeCheck(f: MarketFixture, caller: Caller, ctx: Context, ok: Outcome): Outcome {
  if (caller === "provider") return ok;
  const payee = getAddress(f[caller].address);
  const signer = verifyTypedData(
    ctx.domain as Parameters<typeof verifyTypedData>[0],
    VOUCHER_TYPES,
    { payee, nonce: ctx.nonce, amount: ctx.amount, usage: NO_USAGE },
    ctx.voucherSignature as string,
  );
  const id = channelIdOf({ payer: getAddress(signer), payee, nonce: ctx.nonce as bigint });
  return { contract: f.channels, error: "PaymentChannelsNoChannelOfSigner", args: [signer, id] };
}

const reportArg = (signed: SignedReport) => ({
  ...signed.report,
  licensedProducts: [...signed.report.licensedProducts],
});

const ROWS: Row[] = [
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
  // ------------------------------------------------------------------ LicenseRegistry
  {
    fn: "LicenseRegistry.registerLicense",
    call: (f, s) => f.licenses.connect(s).registerLicense(parseEuro("0.35"), LICENCE_TERMS),
    expect: (f, c) => roleCheck(f, c, Role.Licensor, { ok: true, event: [f.licenses, "LicenseRegistered"] }),
  },
  {
    fn: "LicenseRegistry.publishRoyalty",
    setup: async (f) => ({ licenseId: await registerSampleLicense(f) }),
    call: (f, s, ctx) =>
      f.licenses.connect(s).publishRoyalty(ctx.licenseId as number, parseEuro("0.40"), LICENCE_TERMS),
    expect: (f, c) => roleCheck(f, c, Role.Licensor, { ok: true, event: [f.licenses, "RoyaltyPublished"] }),
  },
  {
    fn: "LicenseRegistry.retireLicense",
    setup: async (f) => ({ licenseId: await registerSampleLicense(f) }),
    call: (f, s, ctx) => f.licenses.connect(s).retireLicense(ctx.licenseId as number),
    // Any account of the licensor may retire, whatever its standing; other members do not own the licence.
    expect: (f, c, ctx) =>
      memberCheck(
        f,
        c,
        c === "licensor"
          ? { ok: true, event: [f.licenses, "LicenseRetired"] }
          : { contract: f.licenses, error: "LicenseRegistryNotLicensor", args: [ctx.licenseId, memberId(f, c)] },
      ),
  },
  // ------------------------------------------------------------------ MachineRegistry
  {
    fn: "MachineRegistry.registerMachine",
    call: (f, s) =>
      f.machines.connect(s).registerMachine(profileArg(sampleProfile()), [randomKey()], tariffArg(sampleTariff())),
    expect: (f, c) => roleCheck(f, c, Role.Provider, { ok: true, event: [f.machines, "MachineRegistered"] }),
  },
  {
    fn: "MachineRegistry.updateMachine",
    setup: async (f) => ({ machineId: await registerSampleMachine(f) }),
    call: (f, s, ctx) => f.machines.connect(s).updateMachine(ctx.machineId as bigint, profileArg(sampleProfile())),
    expect: (f, c) => roleCheck(f, c, Role.Provider, { ok: true, event: [f.machines, "MachineUpdated"] }),
  },
  {
    fn: "MachineRegistry.publishTariff",
    setup: async (f) => ({ machineId: await registerSampleMachine(f) }),
    call: (f, s, ctx) => f.machines.connect(s).publishTariff(ctx.machineId as bigint, tariffArg(sampleTariff())),
    expect: (f, c) => roleCheck(f, c, Role.Provider, { ok: true, event: [f.machines, "TariffPublished"] }),
  },
  {
    fn: "MachineRegistry.pauseMachine",
    setup: async (f) => ({ machineId: await registerSampleMachine(f) }),
    call: (f, s, ctx) => f.machines.connect(s).pauseMachine(ctx.machineId as bigint),
    expect: (f, c, ctx) => ownerCheck(f, c, ctx, "MachineStatusChanged"),
  },
  {
    fn: "MachineRegistry.resumeMachine",
    setup: async (f) => {
      const machineId = await registerSampleMachine(f);
      await f.machines.connect(f.provider).pauseMachine(machineId);
      return { machineId };
    },
    call: (f, s, ctx) => f.machines.connect(s).resumeMachine(ctx.machineId as bigint),
    expect: (f, c) => roleCheck(f, c, Role.Provider, { ok: true, event: [f.machines, "MachineStatusChanged"] }),
  },
  {
    fn: "MachineRegistry.retireMachine",
    setup: async (f) => ({ machineId: await registerSampleMachine(f) }),
    call: (f, s, ctx) => f.machines.connect(s).retireMachine(ctx.machineId as bigint),
    expect: (f, c, ctx) => ownerCheck(f, c, ctx, "MachineStatusChanged"),
  },
  {
    fn: "MachineRegistry.addKey",
    setup: async (f) => ({ machineId: await registerSampleMachine(f) }),
    call: (f, s, ctx) => f.machines.connect(s).addKey(ctx.machineId as bigint, randomKey(), KeyKind.Inspector),
    expect: (f, c) => roleCheck(f, c, Role.Provider, { ok: true, event: [f.machines, "SignerKeyAdded"] }),
  },
  {
    fn: "MachineRegistry.revokeKey",
    setup: async (f) => {
      const key = randomKey();
      return { machineId: await registerSampleMachine(f, { keys: [key] }), key };
    },
    call: (f, s, ctx) => f.machines.connect(s).revokeKey(ctx.machineId as bigint, ctx.key as string),
    expect: (f, c, ctx) => ownerCheck(f, c, ctx, "SignerKeyRevoked"),
  },
  {
    fn: "MachineRegistry.rotateKey",
    setup: async (f) => {
      const key = randomKey();
      return { machineId: await registerSampleMachine(f, { keys: [key] }), key };
    },
    call: (f, s, ctx) => f.machines.connect(s).rotateKey(ctx.machineId as bigint, ctx.key as string, randomKey()),
    expect: (f, c) => roleCheck(f, c, Role.Provider, { ok: true, event: [f.machines, "SignerKeyRevoked"] }),
  },
  // ------------------------------------------------------------------ UsageMeter
  {
    fn: "UsageMeter.openOrder",
    setup: async (f, c) => {
      const machineId = await registerSampleMachine(f);
      await f.token.connect(f[c]).approve(await f.meter.getAddress(), parseEuro("10"));
      return { machineId };
    },
    call: async (f, s, ctx) =>
      f.meter.connect(s).openOrder({
        ...orderTerms(ctx.machineId as bigint, (await networkHelpers.time.latest()) + 3600),
        budget: parseEuro("10"),
      }),
    expect: (f, c) => roleCheck(f, c, Role.Consumer, { ok: true, event: [f.meter, "OrderOpened"] }),
  },
  {
    fn: "UsageMeter.openOrderWithPermit",
    setup: async (f, c) => ({
      machineId: await registerSampleMachine(f),
      permit: await permitFor(f, f[c], await f.meter.getAddress(), parseEuro("10")),
    }),
    call: async (f, s, ctx) => {
      const permit = ctx.permit as SignedPermit;
      return f.meter.connect(s).openOrderWithPermit(
        {
          ...orderTerms(ctx.machineId as bigint, (await networkHelpers.time.latest()) + 3600),
          budget: parseEuro("10"),
        },
        permit.message.deadline,
        permit.v,
        permit.r,
        permit.s,
      );
    },
    expect: (f, c) => roleCheck(f, c, Role.Consumer, { ok: true, event: [f.meter, "OrderOpened"] }),
  },
  {
    fn: "UsageMeter.submitReport",
    setup: (f) => bookedOrder(f),
    call: (f, s, ctx) => {
      const signed = ctx.signed as SignedReport;
      return f.meter.connect(s).submitReport(reportArg(signed), signed.signature);
    },
    // Anyone may relay a signed report.
    expect: (f) => ({ ok: true, event: [f.meter, "ReportRecorded"] }),
  },
  {
    fn: "UsageMeter.submitReports",
    setup: (f) => bookedOrder(f),
    call: (f, s, ctx) => {
      return f.meter.connect(s).submitReports(encodeReportBatch([ctx.signed as SignedReport]));
    },
    expect: (f) => ({ ok: true, event: [f.meter, "ReportRecorded"] }),
  },
  {
    fn: "UsageMeter.closeOrder",
    setup: (f) => bookedOrder(f),
    call: (f, s, ctx) => f.meter.connect(s).closeOrder(ctx.orderId as bigint),
    // The provider may close at any time; the consumer only after expiry; nobody else.
    expect: async (f, c, ctx) => {
      if (c === "provider") return { ok: true, event: [f.meter, "OrderClosed"] };
      if (c === "consumer") {
        const order = await f.meter.getOrder(ctx.orderId as bigint);
        return { contract: f.meter, error: "UsageMeterNotExpired", args: [ctx.orderId, order.expiresAt] };
      }
      return memberCheck(f, c, {
        contract: f.meter,
        error: "UsageMeterNotConsumer",
        args: [ctx.orderId, memberId(f, c)],
      });
    },
  },
  {
    fn: "UsageMeter.settle",
    setup: (f) => bookedOrder(f, { report: true }),
    call: (f, s, ctx) => f.meter.connect(s).settle([ctx.orderId as bigint]),
    // Anyone may settle; with a dispute window of 0 the invoice is issued and settled at once.
    expect: (f) => ({ ok: true, event: [f.meter, "InvoiceSettled"] }),
  },
  {
    fn: "UsageMeter.withdraw",
    setup: async (f) => {
      const ctx = await bookedOrder(f, { report: true });
      await f.meter.settle([ctx.orderId as bigint]);
      return ctx;
    },
    call: (f, s) => f.meter.connect(s).withdraw(),
    expect: (f, c) =>
      c === "provider"
        ? { ok: true, event: [f.meter, "PayoutWithdrawn"] }
        : memberCheck(f, c, { contract: f.meter, error: "UsageMeterNothingToWithdraw", args: [memberId(f, c)] }),
  },
  {
    fn: "UsageMeter.settleAndWithdraw",
    setup: (f) => bookedOrder(f, { report: true }),
    call: (f, s, ctx) => f.meter.connect(s).settleAndWithdraw([ctx.orderId as bigint]),
    // Settling is open to anyone; the withdrawal needs a member's account (and pays only what it was credited).
    expect: (f, c) => memberCheck(f, c, { ok: true, event: [f.meter, "InvoiceSettled"] }),
  },
  {
    fn: "UsageMeter.withdrawPlatformFees",
    setup: async (f) => {
      const ctx = await bookedOrder(f, { feeBps: 1000, report: true });
      await f.meter.settle([ctx.orderId as bigint]);
      return ctx;
    },
    call: (f, s) => f.meter.connect(s).withdrawPlatformFees(),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.meter, "PlatformFeesWithdrawn"] }),
  },
  {
    fn: "UsageMeter.dispute",
    setup: (f) => bookedOrder(f, { report: true }),
    call: (f, s, ctx) =>
      f.meter.connect(s).dispute(ctx.orderId as bigint, KeyKind.Device, 1, 1n, referenceHash("wrong count")),
    expect: (f, c) => roleCheck(f, c, Role.Consumer, { ok: true, event: [f.meter, "ReportDisputed"] }),
  },
  {
    fn: "UsageMeter.resolveDispute",
    setup: async (f) => {
      const ctx = await bookedOrder(f, { report: true });
      await f.meter.connect(f.consumer).dispute(ctx.orderId as bigint, KeyKind.Device, 1, 1n, referenceHash("x"));
      return ctx;
    },
    call: (f, s) => f.meter.connect(s).resolveDispute(1n, 1n, referenceHash("refund")),
    expect: (f, c) => roleCheck(f, c, Role.Auditor, { ok: true, event: [f.meter, "DisputeResolved"] }),
  },
  {
    fn: "UsageMeter.setReportGrace",
    call: (f, s) => f.meter.connect(s).setReportGrace(60),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.meter, "ReportGraceChanged"] }),
  },
  {
    fn: "UsageMeter.setPlatformFee",
    call: (f, s) => f.meter.connect(s).setPlatformFee(250),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.meter, "PlatformFeeChanged"] }),
  },
  // ------------------------------------------------------------------ PaymentChannels
  {
    fn: "PaymentChannels.open",
    setup: async (f, c) => {
      await f.token.connect(f[c]).approve(await f.channels.getAddress(), CHANNEL_DEPOSIT);
      return {};
    },
    call: async (f, s) =>
      f.channels
        .connect(s)
        .open(f.provider.address, 1, CHANNEL_DEPOSIT, (await networkHelpers.time.latest()) + 86_400, CHANNEL_CHALLENGE),
    expect: (f, c) => payerCheck(f, c, { ok: true, event: [f.channels, "ChannelOpened"] }),
  },
  {
    fn: "PaymentChannels.openWithPermit",
    setup: async (f, c) => ({ permit: await permitFor(f, f[c], await f.channels.getAddress(), CHANNEL_DEPOSIT) }),
    call: async (f, s, ctx) => {
      const p = ctx.permit as SignedPermit;
      const expiresAt = (await networkHelpers.time.latest()) + 86_400;
      return f.channels
        .connect(s)
        .openWithPermit(
          f.provider.address,
          1,
          CHANNEL_DEPOSIT,
          expiresAt,
          CHANNEL_CHALLENGE,
          p.message.deadline,
          p.v,
          p.r,
          p.s,
        );
    },
    expect: (f, c) => payerCheck(f, c, { ok: true, event: [f.channels, "ChannelOpened"] }),
  },
  {
    fn: "PaymentChannels.topUp",
    setup: (f) => consumerChannel(f),
    call: (f, s, ctx) => f.channels.connect(s).topUp(f.provider.address, ctx.nonce as bigint, 1n),
    expect: (f, c, ctx) => channelPayerCheck(f, c, ctx, { ok: true, event: [f.channels, "ChannelToppedUp"] }),
  },
  {
    fn: "PaymentChannels.claim",
    setup: (f) => consumerChannel(f),
    call: (f, s, ctx) => {
      const { r, vs } = compact(ctx.voucherSignature as Hex);
      return f.channels.connect(s).claim(ctx.nonce as bigint, ctx.amount as bigint, NO_USAGE, r, vs);
    },
    expect: (f, c, ctx) => payeeCheck(f, c, ctx, { ok: true, event: [f.channels, "ChannelClaimed"] }),
  },
  {
    fn: "PaymentChannels.claimMany",
    setup: (f) => consumerChannel(f),
    call: (f, s, ctx) => {
      const { r, vs } = compact(ctx.voucherSignature as Hex);
      return f.channels
        .connect(s)
        .claimMany([{ nonce: ctx.nonce as bigint, amount: ctx.amount as bigint, usage: NO_USAGE, r, vs }]);
    },
    // A batch skips a voucher without an open channel of its signer: for any caller but the provider it pays nothing.
    expect: (f, c) =>
      c === "provider"
        ? { ok: true, event: [f.channels, "ChannelClaimed"] }
        : { ok: true, event: [f.channels, "ChannelClaimed"], absent: true },
  },
  {
    fn: "PaymentChannels.closeCooperatively",
    setup: (f) => consumerChannel(f),
    call: (f, s, ctx) => {
      const { r, vs } = compact(ctx.closeSignature as Hex);
      return f.channels
        .connect(s)
        .closeCooperatively(f.provider.address, ctx.nonce as bigint, ctx.amount as bigint, r, vs);
    },
    expect: (f, c, ctx) => channelPayerCheck(f, c, ctx, { ok: true, event: [f.channels, "ChannelClosed"] }),
  },
  {
    fn: "PaymentChannels.release",
    setup: (f) => consumerChannel(f),
    call: (f, s, ctx) => f.channels.connect(s).release(f.consumer.address, ctx.nonce as bigint),
    // The payee's act: any other caller names the channel to itself, which does not exist.
    expect: (f, c, ctx) =>
      c === "provider"
        ? { ok: true, event: [f.channels, "ChannelClosed"] }
        : {
            contract: f.channels,
            error: "PaymentChannelsUnknownChannel",
            args: [
              channelIdOf({
                payer: getAddress(f.consumer.address),
                payee: getAddress(f[c].address),
                nonce: ctx.nonce as bigint,
              }),
            ],
          },
  },
  {
    fn: "PaymentChannels.requestClose",
    setup: (f) => consumerChannel(f),
    call: (f, s, ctx) => f.channels.connect(s).requestClose(f.provider.address, ctx.nonce as bigint),
    expect: (f, c, ctx) => channelPayerCheck(f, c, ctx, { ok: true, event: [f.channels, "ChannelCloseRequested"] }),
  },
  {
    fn: "PaymentChannels.settle",
    setup: async (f) => {
      const ctx = await consumerChannel(f);
      await f.channels.connect(f.consumer).requestClose(f.provider.address, ctx.nonce as bigint);
      await networkHelpers.time.increase(CHANNEL_CHALLENGE);
      return ctx;
    },
    call: (f, s, ctx) => f.channels.connect(s).settle(f.consumer.address, f.provider.address, ctx.nonce as bigint),
    // Anyone may settle a channel past its deadline; the rest goes to the payer.
    expect: (f) => ({ ok: true, event: [f.channels, "ChannelClosed"] }),
  },
  {
    fn: "PaymentChannels.setMinChallengePeriod",
    call: (f, s) => f.channels.connect(s).setMinChallengePeriod(7200),
    expect: (f, c) => roleCheck(f, c, Role.Operator, { ok: true, event: [f.channels, "MinChallengePeriodChanged"] }),
  },
];

function describeOutcome(outcome: Outcome): string {
  if ("ok" in outcome) return `succeeds ${outcome.absent === true ? "without" : "with"} ${outcome.event[1]}`;
  const shown = outcome.args.map((arg) =>
    typeof arg === "number" && outcome.error.includes("Role") ? (ROLE_NAME[arg] ?? arg) : arg,
  );
  return `reverts with ${outcome.error}(${shown
    .map(String)
    .map((a) => (a.length > 12 ? `${a.slice(0, 8)}…` : a))
    .join(", ")})`;
}

describe("role matrix", function () {
  for (const row of ROWS) {
    describe(row.fn, function () {
      for (const caller of CALLERS) {
        it(`× ${caller}`, async function () {
          const f = await networkHelpers.loadFixture(matrixFixture);
          const ctx = (await row.setup?.(f, caller)) ?? {};
          const outcome = await row.expect(f, caller, ctx);
          this.test!.title = `× ${caller}: ${describeOutcome(outcome)}`;
          const tx = row.call(f, f[caller], ctx, caller);
          if ("ok" in outcome && outcome.absent === true) {
            await expect(tx).not.to.emit(outcome.event[0], outcome.event[1]);
          } else if ("ok" in outcome) {
            await expect(tx).to.emit(outcome.event[0], outcome.event[1]);
          } else {
            await expect(tx)
              .to.be.revertedWithCustomError(outcome.contract, outcome.error)
              .withArgs(...outcome.args);
          }
        });
      }
    });
  }

  it("covers every state-changing function of the seven contracts", async function () {
    const f = await networkHelpers.loadFixture(matrixFixture);
    const covered = new Set(ROWS.map((row) => row.fn));
    for (const [name, contract] of [
      ["Consortium", f.consortium],
      ["SettlementToken", f.token],
      ["FiatGateway", f.gateway],
      ["LicenseRegistry", f.licenses],
      ["MachineRegistry", f.machines],
      ["UsageMeter", f.meter],
      ["PaymentChannels", f.channels],
    ] as const) {
      contract.interface.forEachFunction((fn) => {
        if (fn.stateMutability === "nonpayable" || fn.stateMutability === "payable") {
          expect(covered.has(`${name}.${fn.name}`), `${name}.${fn.name} is missing from the role matrix`).to.equal(
            true,
          );
        }
      });
    }
  });
});
