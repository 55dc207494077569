/**
 * The payer's end of a payment channel on the command line (src/ops/channels.ts): named by the payer agent's
 * store and the channel id, it is closed alone (the payee may claim until the deadline) and settled after it
 * (what the payee did not claim comes back); named by payee and nonce just as well. The wrong store is refused.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { network } from "hardhat";
import type { Hex } from "viem";

import { PayerStore } from "../../src/services/channels/store.js";
import { ChannelsClient } from "../../src/contracts/channels.js";
import { signVoucher } from "../../src/core/voucher.js";
import { parseEuro } from "../../src/core/money.js";
import { at, jsonOf, ops, opsFixture, usageHash, type OpsFixture } from "../helpers/ops.js";

const connection = await network.create();
const { loadFixture, time } = connection.networkHelpers;
const fixture = opsFixture(connection);

interface Closing {
  channelId: Hex;
  nothingToDo: boolean;
  deposit: string;
  claimed: string;
  signed?: string;
  deadline: number;
  refunded: string;
}

describe("ops channel close and settle (payer)", function () {
  let f: OpsFixture;
  let dir: string;
  let store: string;
  let channelId: Hex;
  let nonce: bigint;

  beforeEach(async function () {
    f = await loadFixture(fixture);
    dir = mkdtempSync(join(tmpdir(), "ops-channels-"));
    store = join(dir, "payer.sqlite");
    const opened = jsonOf<{ channelId: Hex; nonce: string; challengePeriod: number }>(
      await ops(f, f.payer, "channel", "open", "--json", `--payee=${f.provider.address}`, "--deposit=40"),
    );
    channelId = opened.channelId;
    nonce = BigInt(opened.nonce);
    const payer = new PayerStore({ path: store });
    payer.addChannel({
      channelId,
      payee: at(f.provider),
      nonce,
      deposit: parseEuro("40"),
      machineId: 1n,
      tariffVersion: 1,
      openedAt: 0,
    });
    payer.close();
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("closes alone, lets the payee claim until the deadline, then settles the rest back", async function () {
    const named = [`--store=${store}`, `--channel=${channelId}`];
    const closing = jsonOf<Closing>(await ops(f, f.payer, "channel", "close", "--json", ...named));
    expect(closing).to.include({
      channelId,
      nothingToDo: false,
      deposit: parseEuro("40").toString(),
      claimed: "0",
      signed: "0",
    });
    expect(closing.deadline).to.be.greaterThan(await time.latest());
    expect(jsonOf<Closing>(await ops(f, f.payer, "channel", "close", "--json", ...named)).nothingToDo).to.equal(true);

    const early = await ops(f, f.payer, "channel", "settle", ...named);
    expect(early.exitCode).to.equal(2);
    expect(early.stderr)
      .to.include(`Channel ${channelId} may be settled from`)
      .and.include("until then its payee may claim");

    // The payee claims a voucher of 15 EUR in the challenge period.
    const voucher = await signVoucher(
      f.payer,
      { chainId: f.chain.chainId, channels: f.ops.addresses.paymentChannels },
      { payee: at(f.provider), nonce, amount: parseEuro("15"), usage: usageHash("parts") },
    );
    await new ChannelsClient(f.chain, f.ops.addresses).claim(f.chain.wallet(at(f.provider)), voucher);
    await time.increaseTo(closing.deadline + 1);
    const before = await f.token.balanceOf(f.payer.address);
    const settled = jsonOf<Closing>(await ops(f, f.payer, "channel", "settle", "--json", ...named));
    expect(settled).to.include({
      nothingToDo: false,
      claimed: parseEuro("15").toString(),
      refunded: parseEuro("25").toString(),
    });
    expect((await f.token.balanceOf(f.payer.address)) - before).to.equal(parseEuro("25"));
    const again = await ops(f, f.payer, "channel", "settle", ...named);
    expect(again.exitCode, again.stderr).to.equal(0);
    expect(again.stdout).to.include("closed already; nothing to do");
  });

  it("takes the channel by payee and nonce, without a store", async function () {
    const out = await ops(f, f.payer, "channel", "close", `--payee=${f.provider.address}`, `--nonce=${nonce}`);
    expect(out.exitCode, out.stderr).to.equal(0);
    expect(out.stdout).to.include("Closing the channel").and.include(channelId);
  });

  it("refuses a channel its store does not hold, a key that is not the payer's, and no channel named", async function () {
    const other = `0x${"ab".repeat(32)}`;
    const unknown = await ops(f, f.payer, "channel", "close", `--store=${store}`, `--channel=${other}`);
    expect(unknown.exitCode).to.equal(2);
    expect(unknown.stderr).to.include(`holds no channel ${other}`);
    const wrongKey = await ops(f, f.consumer, "channel", "close", `--store=${store}`, `--channel=${channelId}`);
    expect(wrongKey.exitCode).to.equal(2);
    expect(wrongKey.stderr)
      .to.include(`is not paid from ${at(f.consumer)}`)
      .and.include("CHANNEL_PAYER_KEY");
    const none = await ops(f, f.payer, "channel", "close");
    expect(none.exitCode).to.equal(2);
    expect(none.stderr).to.include("Name the channel: --store FILE --channel ID");
  });
});
