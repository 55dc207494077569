/**
 * The role matrix: every state-changing function of Consortium, SettlementToken, FiatGateway,
 * LicenseRegistry, MachineRegistry, UsageMeter and PaymentChannels, called
 * by every part a caller can play: the five member roles, an outsider, and the issuer's keys (master
 * minter, minter, admin), which are not consortium members. Each cell is asserted: the call succeeds
 * with its event (a batch that skips what it cannot pay succeeds without it), or reverts with the specific
 * custom error and arguments. The test names are the matrix.
 *
 * This file holds the network, the callers, the fixture, the checks and the channel the rows share, and
 * describeRows, which turns rows into tests; the rows are in one file per contract domain (access.ts, token.ts,
 * registry.ts, metering.ts, channels.ts), and coverage.ts checks that together they name every function.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { BaseContract, ContractTransactionResponse } from "ethers";
import { network } from "hardhat";

import { getAddress } from "viem";

import { NO_USAGE, channelIdOf } from "../../src/core/voucher.js";
import { Role } from "../../src/core/membership.js";
import { parseEuro } from "../../src/core/money.js";
import { channelsDomain, closeAuthorizationTypes, voucherTypes } from "../../src/core/typed-data.js";
import { marketFixture, mintTo, type MarketFixture } from "../helpers/fixtures.js";
import { signPermit } from "../helpers/permit.js";

export const connection = await network.create();
export const { ethers, networkHelpers } = connection;
const layer = marketFixture(connection);

export const CALLERS = [
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
export type Caller = (typeof CALLERS)[number];
const MEMBER_ROLE: Partial<Record<Caller, Role>> = {
  operator: Role.Operator,
  provider: Role.Provider,
  consumer: Role.Consumer,
  licensor: Role.Licensor,
  auditor: Role.Auditor,
};
const ROLE_NAME = ["Operator", "Provider", "Consumer", "Licensor", "Auditor"];

/** Every member caller holds 100 EUR; the consumer approved the gateway and every caller for 10 EUR. */
export async function matrixFixture() {
  const f = await layer();
  for (const caller of CALLERS) {
    if (MEMBER_ROLE[caller] !== undefined) await mintTo(f, f[caller].address, parseEuro("100"));
  }
  for (const caller of CALLERS) await f.token.connect(f.consumer).approve(f[caller].address, parseEuro("10"));
  return f;
}

/** A success with its event (or, with `absent`, a success that emits no such event), or a specific revert. */
export type Outcome =
  | { ok: true; event: [BaseContract, string]; absent?: true }
  | { contract: BaseContract; error: string; args: readonly unknown[] };

export interface Row {
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
export type Context = Record<string, unknown>;

export const memberId = (f: MarketFixture, caller: Caller): bigint | undefined =>
  MEMBER_ROLE[caller] === undefined ? undefined : f.memberIds[caller as keyof MarketFixture["memberIds"]];

/** What a Consortium role check answers for `caller`. */
export function roleCheck(f: MarketFixture, caller: Caller, role: Role, ok: Outcome): Outcome {
  const id = memberId(f, caller);
  if (id === undefined) return { contract: f.consortium, error: "ConsortiumNotMember", args: [f[caller].address] };
  if (MEMBER_ROLE[caller] !== role) return { contract: f.consortium, error: "ConsortiumMissingRole", args: [id, role] };
  return ok;
}

export function memberCheck(f: MarketFixture, caller: Caller, ok: Outcome): Outcome {
  return memberId(f, caller) === undefined
    ? { contract: f.consortium, error: "ConsortiumNotMember", args: [f[caller].address] }
    : ok;
}

/** A permit signed by `owner` for `spender`, valid for an hour. */
export async function permitFor(f: MarketFixture, owner: HardhatEthersSigner, spender: string, value: bigint) {
  return signPermit(f.token, owner, spender, value, BigInt(await networkHelpers.time.latest()) + 3600n);
}

/** The typed-data definitions as the mutable objects ethers' signer expects. */
export const VOUCHER_TYPES = { Voucher: voucherTypes.Voucher.map((field) => ({ ...field })) };
const CLOSE_TYPES = { CloseAuthorization: closeAuthorizationTypes.CloseAuthorization.map((field) => ({ ...field })) };
export const CHANNEL_DEPOSIT = parseEuro("10");
export const CHANNEL_CHALLENGE = 3600;

/**
 * A channel of 10 EUR from the consumer to the provider (a day long, an hour's challenge period), the consumer's
 * voucher for 1 EUR in all on it and the provider's authorisation to close it at 1 EUR. The consumer approved the
 * channels for 20 EUR, so that a top-up can follow.
 */
export async function consumerChannel(f: MarketFixture): Promise<Context> {
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

/** The tests of `rows`: one describe per function, one test per caller, under "role matrix". */
export function describeRows(rows: readonly Row[]): void {
  describe("role matrix", function () {
    for (const row of rows) {
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
  });
}
