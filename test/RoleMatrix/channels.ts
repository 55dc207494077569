/** The role matrix's rows for PaymentChannels, with the checks of payer and payee (see fixture.ts). */
import { verifyTypedData } from "ethers";
import { getAddress, type Hex } from "viem";

import { NO_USAGE, channelIdOf, compact } from "../../src/core/voucher.js";
import { Role } from "../../src/core/membership.js";
import type { MarketFixture } from "../helpers/fixtures.js";
import type { SignedPermit } from "../helpers/permit.js";
import {
  CHANNEL_CHALLENGE,
  CHANNEL_DEPOSIT,
  VOUCHER_TYPES,
  consumerChannel,
  describeRows,
  memberId,
  networkHelpers,
  permitFor,
  roleCheck,
  type Caller,
  type Context,
  type Outcome,
  type Row,
} from "./fixture.js";

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

export const CHANNELS_ROWS: Row[] = [
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

describeRows(CHANNELS_ROWS);
