/**
 * The payout run (src/ops/payouts.ts through `capacity payout run`): the payee's worthwhile channels claimed from its
 * store in one claimMany and its matured meter charges withdrawn in one settleAndWithdraw; a second run finds
 * nothing and sends nothing; a dry run sends nothing and predicts the amounts the real run pays.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { network } from "hardhat";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { ChannelsClient } from "../../src/contracts/channels.js";
import { MarketRegistry } from "../../src/contracts/registries.js";
import { PayeeStore } from "../../src/services/channels/store.js";
import { UsageMeterClient } from "../../src/contracts/meter.js";
import { signVoucher } from "../../src/core/voucher.js";
import { parseEuro } from "../../src/core/money.js";
import { at, jsonOf, listLaser, meterUsage, ops, opsFixture, usageHash, type OpsFixture } from "../helpers/ops.js";

const connection = await network.create();
const { loadFixture, time } = connection.networkHelpers;
const fixture = opsFixture(connection);

interface Payout {
  dryRun: boolean;
  nothingToDo: boolean;
  claims: { channelId: Hex; adds: string; reason: string }[];
  skipped: { channelId: Hex; reason: string }[];
  orders: { orderId: string; invoice: number; charged: string }[];
  claimed: string;
  withdrawn: string;
  transactions: { call: string; hash: Hex | null }[];
}

describe("ops payout", function () {
  let f: OpsFixture;
  let dir: string;
  let storePath: string;
  let channelId: Hex;
  let nonce: bigint;

  /** Pays the provider's store a voucher for `amount` in all on the channel (increment `sequence`). */
  async function voucher(amount: string, sequence: number): Promise<void> {
    const store = new PayeeStore({ path: storePath });
    try {
      const signed = await signVoucher(
        f.payer,
        { chainId: f.chain.chainId, channels: f.ops.addresses.paymentChannels },
        { payee: at(f.provider), nonce, amount: parseEuro(amount), usage: usageHash(`part ${sequence}`) },
      );
      store.acknowledge(
        {
          channelId,
          sequence,
          price: parseEuro("1"),
          amount: signed.amount,
          usage: signed.usage,
          increment: "{}",
          deviceSignature: "0x",
          voucherSignature: signed.signature,
        },
        { machineSeconds: BigInt(sequence), units: BigInt(sequence) },
      );
    } finally {
      store.close();
    }
  }

  /** A laser with an order whose first invoice (11 EUR) has matured, and a channel whose store holds a 12 EUR voucher. */
  async function earning(): Promise<OpsFixture> {
    const world = await loadFixture(fixture);
    f = world;
    await listLaser(f);
    jsonOf(await ops(f, f.consumer, "order", "open", "--json", "--machine=1", "--budget=200", "--dispute-window=1h"));
    await meterUsage(connection, f, 1n, 1, 600n, 10n);
    jsonOf(await ops(f, f.operator, "invoice", "run", "--json"));
    const opened = jsonOf<{ channelId: Hex; nonce: string; deadline: number }>(
      await ops(f, f.payer, "channel", "open", "--json", `--payee=${f.provider.address}`, "--deposit=100"),
    );
    channelId = opened.channelId;
    nonce = BigInt(opened.nonce);
    const state = await f.channels.channel(channelId);
    const store = new PayeeStore({ path: storePath });
    store.addChannel({
      channelId,
      payer: f.payer.address,
      payee: at(f.provider),
      nonce,
      machineId: 1n,
      tariffVersion: 1,
      deposit: state.deposit,
      deadline: Number(state.deadline),
    });
    store.close();
    await voucher("12", 1);
    await time.increase(3601);
    return world;
  }

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "ops-payout-"));
    storePath = join(dir, "payee.sqlite");
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  const payout = async (...flags: string[]) =>
    jsonOf<Payout>(await ops(f, f.provider, "payout", "run", "--json", ...flags));

  it("claims the channel and withdraws the matured charges in two transactions", async function () {
    await earning();
    const before = await f.token.balanceOf(f.provider.address);
    const run = await payout(`--store=${storePath}`);
    expect(run.nothingToDo).to.equal(false);
    expect(run.claims).to.deep.equal([
      { ...run.claims[0], channelId, adds: parseEuro("12").toString(), reason: "worthwhile" },
    ]);
    expect(run.orders).to.deep.equal([{ orderId: "1", invoice: 1, charged: parseEuro("11").toString() }]);
    expect(run.transactions.map((t) => t.call)).to.deep.equal(["claimMany", "settleAndWithdraw"]);
    expect(run.claimed).to.equal(parseEuro("12").toString());
    const after = await f.token.balanceOf(f.provider.address);
    expect(after - before).to.equal(BigInt(run.claimed) + BigInt(run.withdrawn));
    expect(BigInt(run.withdrawn)).to.be.greaterThan(0n).and.at.most(parseEuro("11"));
    expect((await f.channels.channel(channelId)).claimed).to.equal(parseEuro("12"));
    const store = new PayeeStore({ path: storePath });
    expect(store.claims(channelId).map((c) => c.amount)).to.deep.equal([parseEuro("12")]);
    expect(store.channel(channelId)!.claimed).to.equal(parseEuro("12"));
    store.close();
  });

  it("does nothing on a second run, and says so", async function () {
    await earning();
    await payout(`--store=${storePath}`);
    const before = await f.token.balanceOf(f.provider.address);
    const blockBefore = await f.chain.publicClient.getBlockNumber({ cacheTime: 0 });
    const again = await payout(`--store=${storePath}`);
    expect(again).to.include({ nothingToDo: true, claimed: "0", withdrawn: "0" });
    expect(again.transactions).to.deep.equal([]);
    expect(again.skipped).to.deep.equal([{ channelId, adds: "0", reason: "nothing new to claim" }]);
    expect(await f.chain.publicClient.getBlockNumber({ cacheTime: 0 })).to.equal(blockBefore);
    expect(await f.token.balanceOf(f.provider.address)).to.equal(before);
    const table = await ops(f, f.provider, "payout", "run", `--store=${storePath}`);
    expect(table.exitCode).to.equal(0);
    expect(table.stdout).to.include("Nothing to pay out").and.include("No transaction sent");
  });

  it("claims only what a newer voucher adds on the next run", async function () {
    await earning();
    await payout(`--store=${storePath}`);
    await voucher("20", 2);
    const next = await payout(`--store=${storePath}`);
    expect(next.claims.map((c) => c.adds)).to.deep.equal([parseEuro("8").toString()]);
    expect(next.transactions.map((t) => t.call)).to.deep.equal(["claimMany"]);
    expect((await f.channels.channel(channelId)).claimed).to.equal(parseEuro("20"));
  });

  describe("with --dry-run", function () {
    it("sends nothing, changes no store, and predicts what the real run pays", async function () {
      await earning();
      const blockBefore = await f.chain.publicClient.getBlockNumber({ cacheTime: 0 });
      const balanceBefore = await f.token.balanceOf(f.provider.address);
      const dry = await payout(`--store=${storePath}`, "--dry-run");
      expect(dry.dryRun).to.equal(true);
      expect(dry.transactions).to.deep.equal([
        { call: "claimMany", hash: null, gasUsed: null },
        { call: "settleAndWithdraw", hash: null, gasUsed: null },
      ]);
      expect(await f.chain.publicClient.getBlockNumber({ cacheTime: 0 })).to.equal(blockBefore);
      expect(await f.token.balanceOf(f.provider.address)).to.equal(balanceBefore);
      const store = new PayeeStore({ path: storePath });
      expect(store.claims(channelId)).to.deep.equal([]);
      store.close();
      const table = await ops(f, f.provider, "payout", "run", `--store=${storePath}`, "--dry-run");
      expect(table.stdout).to.include("Dry run: would send").and.include("(dry run: not sent)");

      const real = await payout(`--store=${storePath}`);
      expect(real.claimed).to.equal(dry.claimed);
      expect(real.withdrawn).to.equal(dry.withdrawn);
    });
  });

  describe("which channels are worth a claim", function () {
    it("leaves a channel that adds less than --min-claim", async function () {
      await earning();
      const run = await payout(`--store=${storePath}`, "--min-claim=20");
      expect(run.claims).to.deep.equal([]);
      expect(run.skipped).to.deep.equal([
        { channelId, adds: parseEuro("12").toString(), reason: "adds less than 20.00 EUR" },
      ]);
      expect(run.transactions.map((t) => t.call)).to.deep.equal(["settleAndWithdraw"]);
    });

    it("claims a closing channel whatever it adds", async function () {
      await earning();
      const client = new ChannelsClient(f.chain, f.ops.addresses);
      await client.requestClose(f.chain.wallet(f.payer), { payer: f.payer.address, payee: at(f.provider), nonce });
      const run = await payout(`--store=${storePath}`, "--min-claim=20");
      expect(run.claims.map((c) => c.reason)).to.deep.equal(["closing"]);
    });

    it("leaves a voucher above the deposit, which would fail the whole claimMany", async function () {
      await earning();
      await voucher("150", 2);
      const run = await payout(`--store=${storePath}`);
      expect(run.claims).to.deep.equal([]);
      expect(run.skipped).to.deep.equal([
        { channelId, adds: parseEuro("150").toString(), reason: "voucher exceeds the deposit" },
      ]);
      expect(run.transactions.map((t) => t.call)).to.deep.equal(["settleAndWithdraw"]);
    });

    it("splits the claims into transactions of --batch channels", async function () {
      await earning();
      const second = jsonOf<{ channelId: Hex; nonce: string }>(
        await ops(f, f.payer, "channel", "open", "--json", `--payee=${f.provider.address}`, "--deposit=30", "--salt=2"),
      );
      const first = { channelId, nonce };
      channelId = second.channelId;
      nonce = BigInt(second.nonce);
      const state = await f.channels.channel(channelId);
      const store = new PayeeStore({ path: storePath });
      store.addChannel({
        channelId,
        payer: f.payer.address,
        payee: at(f.provider),
        nonce,
        machineId: 1n,
        tariffVersion: 1,
        deposit: state.deposit,
        deadline: Number(state.deadline),
      });
      store.close();
      await voucher("3", 1);
      const dry = await payout(`--store=${storePath}`, "--batch=1", "--dry-run");
      expect(dry.transactions.map((t) => t.call)).to.deep.equal(["claimMany", "claimMany", "settleAndWithdraw"]);
      const run = await payout(`--store=${storePath}`, "--batch=1");
      expect(run.transactions.map((t) => t.call)).to.deep.equal(["claimMany", "claimMany", "settleAndWithdraw"]);
      expect(run.claimed).to.equal(parseEuro("15").toString()).and.equal(dry.claimed);
      expect((await f.channels.channel(first.channelId)).claimed).to.equal(parseEuro("12"));
      expect((await f.channels.channel(channelId)).claimed).to.equal(parseEuro("3"));
    });

    it("leaves channels of another payee account alone", async function () {
      await earning();
      const other = privateKeyToAccount(generatePrivateKey());
      const store = new PayeeStore({ path: storePath });
      const foreign = `0x${"ab".repeat(32)}` as Hex;
      store.addChannel({
        channelId: foreign,
        payer: f.payer.address,
        payee: other.address,
        nonce: 1n,
        machineId: 1n,
        tariffVersion: 1,
        deposit: 1n,
        deadline: 1,
      });
      store.close();
      const run = await payout(`--store=${storePath}`);
      expect(run.skipped).to.deep.equal([
        { channelId: foreign, adds: "0", reason: `pays ${other.address.toLowerCase()}, not this account` },
      ]);
      expect(run.claims).to.have.length(1);
    });
  });

  describe("meter charges", function () {
    it("withdraws nothing while the invoice is in its dispute window", async function () {
      f = await loadFixture(fixture);
      await listLaser(f);
      await ops(f, f.consumer, "order", "open", "--machine=1", "--budget=200", "--dispute-window=1h");
      await meterUsage(connection, f, 1n, 1, 600n, 10n);
      await ops(f, f.operator, "invoice", "run");
      const run = await payout();
      expect(run).to.include({ nothingToDo: true });
      expect(run.orders).to.deep.equal([]);
    });
  });

  describe("a licensor", function () {
    it("withdraws its royalties, credited when the provider's run settled, in one transaction", async function () {
      f = await loadFixture(fixture);
      const market = new MarketRegistry(f.chain, f.ops.addresses);
      const licence = await market.registerLicense(
        f.chain.wallet(at(f.licensor)),
        parseEuro("0.35"),
        usageHash("terms"),
      );
      const listed = await ops(
        f,
        f.provider,
        "machine",
        "register",
        "--json",
        "--site=DE-HH-01",
        "--capabilities=laser-cutting",
        "--uri=ipfs://l",
        "--spec=s",
        `--keys=${f.device.address}`,
        "--price-per-unit=1",
        `--licenses=${licence}`,
      );
      expect(listed.exitCode, listed.stderr).to.equal(0);
      await ops(f, f.consumer, "order", "open", "--machine=1", "--budget=100", "--dispute-window=0");
      await meterUsage(connection, f, 1n, 1, 60n, 10n, [10n]);
      await payout();
      const royalties = jsonOf<Payout>(await ops(f, f.licensor, "payout", "run", "--json"));
      expect(royalties.orders).to.deep.equal([]);
      expect(royalties.transactions.map((t) => t.call)).to.deep.equal(["settleAndWithdraw"]);
      expect(royalties.withdrawn).to.equal(parseEuro("3.5").toString());
      expect(jsonOf<Payout>(await ops(f, f.licensor, "payout", "run", "--json")).nothingToDo).to.equal(true);
    });
  });

  describe("with --platform-fees", function () {
    it("lets an operator withdraw the platform fees once", async function () {
      f = await loadFixture(fixture);
      await new UsageMeterClient(f.chain, f.ops.addresses).setPlatformFee(f.chain.wallet(at(f.operator)), 250);
      await listLaser(f);
      await ops(f, f.consumer, "order", "open", "--machine=1", "--budget=200", "--dispute-window=0");
      await meterUsage(connection, f, 1n, 1, 600n, 10n);
      const provider = await payout();
      expect(provider.orders).to.deep.equal([{ orderId: "1", invoice: 0, charged: "0" }]);
      expect(BigInt(provider.withdrawn)).to.be.greaterThan(0n);
      const fees = await f.meter.platformFees();
      expect(fees).to.be.greaterThan(0n);

      const dry = jsonOf<Payout & { platformFees: string }>(
        await ops(f, f.operator, "payout", "run", "--json", "--platform-fees", "--dry-run"),
      );
      expect(dry.platformFees).to.equal(fees.toString());
      const run = jsonOf<Payout & { platformFees: string }>(
        await ops(f, f.operator, "payout", "run", "--json", "--platform-fees"),
      );
      expect(run.transactions.map((t) => t.call)).to.deep.equal(["withdrawPlatformFees"]);
      expect(run.platformFees).to.equal(fees.toString());
      const again = jsonOf<Payout>(await ops(f, f.operator, "payout", "run", "--json", "--platform-fees"));
      expect(again.nothingToDo).to.equal(true);
    });

    it("refuses a key that is not an operator's", async function () {
      f = await loadFixture(fixture);
      const out = await ops(f, f.provider, "payout", "run", "--platform-fees");
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("only operators withdraw the platform fees");
    });
  });

  describe("bad input", function () {
    it("refuses a key that is no member's account", async function () {
      f = await loadFixture(fixture);
      const stranger = privateKeyToAccount(generatePrivateKey());
      await connection.networkHelpers.setBalance(stranger.address, 10n ** 18n);
      const out = await ops(f, stranger, "payout", "run");
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("is no member's account");
    });

    it("refuses a malformed --min-claim", async function () {
      f = await loadFixture(fixture);
      const out = await ops(f, f.provider, "payout", "run", "--min-claim=ten");
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("--min-claim").and.include("is not a euro amount");
    });
  });
});
