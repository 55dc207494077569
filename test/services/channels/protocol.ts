/*
protocol.tree: the off-chain micropayment protocol (src/services/channels/payer.ts, payee.ts, store.ts), over HTTP on
loopback against the in-process chain.

PayerAgent.pay / PayeeAgent.pay
├── when the payee asks for each part in turn ──────────── each voucher carries the cumulative tariff price; the
│   payee stores it before it acknowledges; the payer's and the payee's stores agree
├── when the payee asks again for an acknowledged part ─── it answers from its store (again) without asking the payer
├── when the payer's answer was lost and the payee asks again  the payer answers with the same voucher, signs nothing new
├── when the increment skips a number ──────────────────── the payer refuses out-of-sequence, naming the next number
├── when the increment reuses a paid number for other usage  the payer refuses already-paid-otherwise
├── when another machine's device key signed it ────────── the payer refuses bad-device
├── when the device key was revoked before the period ended  the payer refuses bad-device
├── when the period ends in the future or counts more seconds than it lasts  the payer refuses bad-period
├── C-04 when the period starts before the device's last paid period ended ─ the payer refuses bad-period, also
│   after a restart (a back-dated increment would fall in a cap period with nothing spent yet)
├── C-04 when the period starts before the channel was opened ─ the payer refuses bad-period
├── C-04 trackChannel ──────────────────────────────────── keeps the channel's opening time (its block's timestamp),
│   also into a store from before it was kept (whose channel the payer pays nothing on until then)
├── when the payee asks for more than the tariff gives ─── the payer refuses price-mismatch
├── when the device's spending cap of the period would be exceeded  the payer refuses cap-reached; the next period pays
├── when the deposit would be exceeded ─────────────────── the payee refuses before asking; a payer refuses deposit-exhausted
├── when the payer answers with a bad voucher ──────────── the payee rejects it (other signer, other payee, other nonce,
│   other amount, other usage, malformed signature) and stores nothing
└── when either side restarts from its files ───────────── both resume at the next increment
PayeeAgent on chain
├── claim ──────────────────────────────────────────────── claims the newest voucher; claimed equals it on chain
├── watchOnce, nothing urgent and little unclaimed ─────── claims nothing
├── watchOnce, enough unclaimed ────────────────────────── claims
├── watchOnce, the payer started closing ───────────────── claims before the challenge period ends, also from a restart
└── watchOnce, the deadline is near ────────────────────── claims
*/
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

import { expect } from "chai";
import { network } from "hardhat";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { incrementPrice, PaymentRefused, type PaymentRequest } from "../../../src/services/channels/protocol.js";
import { PayeeAgent, VoucherRejected } from "../../../src/services/channels/payee.js";
import {
  createPayerServer,
  PayerAgent,
  registryDevices,
  trackChannel,
  type SpendingCaps,
} from "../../../src/services/channels/payer.js";
import { PayeeStore, PayerStore } from "../../../src/services/channels/store.js";
import { VoucherSigner } from "../../../src/crypto/voucher-digest.js";
import { usageDigest } from "../../../src/core/increment.js";
import { parseEuro } from "../../../src/core/money.js";
import { CHANNEL_TARIFF, DEPOSIT, channelFixture, increment, type ChannelFixture } from "../../helpers/channels.js";

const connection = await network.create();
const { networkHelpers } = connection;
const deployChannel = channelFixture(connection);

const CAPS: SpendingCaps = { periodSeconds: 3600, perDevice: parseEuro("1000") };

interface Running {
  f: ChannelFixture;
  dir: string;
  payerStore: PayerStore;
  payeeStore: PayeeStore;
  payer: PayerAgent;
  payee: PayeeAgent;
  server: Server;
  url: string;
  start: number;
  stop(): Promise<void>;
}

/** Both agents with stores in a fresh directory, the payer served on a free loopback port. */
async function running(options: { caps?: SpendingCaps; dir?: string; f?: ChannelFixture } = {}): Promise<Running> {
  const f = options.f ?? (await networkHelpers.loadFixture(deployChannel));
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "channels-"));
  const payerStore = new PayerStore({ path: join(dir, "payer.sqlite") });
  const payeeStore = new PayeeStore({ path: join(dir, "payee.sqlite") });
  const machineRegistry = (await f.machines.getAddress()) as `0x${string}`;
  // The machine ran for an hour since the channel opened: increments of that hour are in the past.
  if ((await networkHelpers.time.latest()) < f.openedAt + 3600) await networkHelpers.time.increaseTo(f.openedAt + 3600);
  const chainNow = await networkHelpers.time.latest();
  payerStore.addChannel({
    channelId: f.channelId,
    payee: f.payee.address,
    nonce: f.key.nonce,
    deposit: DEPOSIT,
    machineId: f.machineId,
    tariffVersion: 1,
    openedAt: f.openedAt,
  });
  const state = await f.client.state(f.channelId);
  payeeStore.addChannel({
    channelId: f.channelId,
    payer: f.payer.address,
    payee: f.payee.address,
    nonce: f.key.nonce,
    machineId: f.machineId,
    tariffVersion: 1,
    deposit: state.deposit,
    deadline: state.deadline,
  });
  const payer = new PayerAgent({
    domain: f.domain,
    privateKey: f.payerKey,
    store: payerStore,
    devices: registryDevices(f.chain.publicClient, machineRegistry, 0),
    tariffs: f.tariffs,
    caps: options.caps ?? CAPS,
    now: () => chainNow,
  });
  const server = createPayerServer(payer);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const payee = new PayeeAgent({
    domain: f.domain,
    payee: f.payee.address,
    store: payeeStore,
    tariffs: f.tariffs,
    payerUrl: url,
    chain: { client: f.client, wallet: f.payeeWallet, policy: { threshold: parseEuro("25.5"), margin: 600 } },
    now: () => chainNow,
  });
  const run: Running = {
    f,
    dir,
    payerStore,
    payeeStore,
    payer,
    payee,
    server,
    url,
    start: f.openedAt,
    async stop() {
      payee.close();
      // The server a test put in place of the first one, if it did: left listening, it keeps the process alive.
      await new Promise<void>((resolve) => run.server.close(() => resolve()));
      payerStore.close();
      payeeStore.close();
    },
  };
  return run;
}

async function refusal(promise: Promise<unknown>): Promise<PaymentRefused> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PaymentRefused) return error;
    throw error;
  }
  throw new Error("expected the payer to refuse");
}

/** What the payee would ask for increment `sequence` on top of the payer's store. */
async function requestFor(r: Running, sequence: number, fields = {}): Promise<PaymentRequest> {
  const usage = await increment(r.f, sequence, r.start, fields);
  const channel = r.payerStore.channel(r.f.channelId)!;
  const amount = channel.signed + incrementPrice(CHANNEL_TARIFF, channel, usage.increment);
  return { channelId: r.f.channelId, usage, amount };
}

describe("channels protocol (payer and payee agents)", function () {
  let r: Running;
  afterEach(async function () {
    await r?.stop();
    if (r?.dir) rmSync(r.dir, { recursive: true, force: true });
  });

  describe("when the payee asks for each part in turn", function () {
    it("gets vouchers for the cumulative tariff price, stored on both sides before the acknowledgement", async function () {
      r = await running();
      let expected = 0n;
      let totals = { machineSeconds: 0n, units: 0n };
      for (let sequence = 1; sequence <= 5; sequence++) {
        const signed = await increment(r.f, sequence, r.start);
        const price = incrementPrice(CHANNEL_TARIFF, totals, signed.increment);
        expected += price;
        totals = { machineSeconds: totals.machineSeconds + 8n, units: totals.units + 1n };
        const ack = await r.payee.pay(signed);
        expect(ack).to.deep.equal({ channelId: r.f.channelId, sequence, price, amount: expected, again: false });
        expect(r.payeeStore.newestVoucher(r.f.channelId)!.amount).to.equal(expected);
        expect(r.payerStore.channel(r.f.channelId)!.signed).to.equal(expected);
      }
      // The first part carries the setup fee: 25 EUR + 8 s at 48 EUR/h + 0.20 EUR.
      expect(r.payeeStore.payments(r.f.channelId)[0]!.price).to.equal(parseEuro("25") + 106_666n + parseEuro("0.20"));
      const newest = r.payeeStore.newestVoucher(r.f.channelId)!;
      expect(r.payerStore.newestVoucher(r.f.channelId)).to.deep.equal(newest);
      expect(newest.usage).to.equal(usageDigest(r.f.domain, (await increment(r.f, 5, r.start)).increment));
    });
  });

  describe("when the payee asks again for an acknowledged part", function () {
    it("answers from its store without asking the payer", async function () {
      r = await running();
      const first = await increment(r.f, 1, r.start);
      const ack = await r.payee.pay(first);
      await new Promise<void>((resolve) => r.server.close(() => resolve()));
      expect(await r.payee.pay(first)).to.deep.equal({ ...ack, again: true });
      r.server = createPayerServer(r.payer);
      await new Promise<void>((resolve) => r.server.listen(0, "127.0.0.1", resolve));
    });
  });

  describe("when the payer's answer was lost and the payee asks again", function () {
    it("gets the same voucher; nothing new is signed or counted", async function () {
      r = await running();
      const request = await requestFor(r, 1);
      const first = await r.payer.pay(request);
      const again = await r.payer.pay(request);
      expect(again).to.deep.equal(first);
      expect(r.payerStore.channel(r.f.channelId)!.sequence).to.equal(1);
      expect(r.payerStore.spent(r.f.device.address, Math.floor(request.usage.increment.periodEnd / 3600))).to.equal(
        request.amount,
      );
    });
  });

  describe("when the increment skips a number", function () {
    it("is refused out-of-sequence, naming the next number", async function () {
      r = await running();
      const error = await refusal(r.payer.pay(await requestFor(r, 3)));
      expect(error.code).to.equal("out-of-sequence");
      expect(error.expectedSequence).to.equal(1);
      expect(error.message).to.contain("the next one to pay is 1");
    });
  });

  describe("when the increment reuses a paid number for other usage", function () {
    it("is refused already-paid-otherwise", async function () {
      r = await running();
      await r.payer.pay(await requestFor(r, 1));
      const other = await increment(r.f, 1, r.start, { units: 2n });
      const error = await refusal(r.payer.pay({ channelId: r.f.channelId, usage: other, amount: 1n }));
      expect(error.code).to.equal("already-paid-otherwise");
    });
  });

  describe("when another machine's device key or no registered key signed it", function () {
    it("is refused bad-device, naming the key", async function () {
      r = await running();
      const stranger = privateKeyToAccount(generatePrivateKey());
      const usage = await increment(r.f, 1, r.start, {}, stranger);
      const error = await refusal(r.payer.pay({ channelId: r.f.channelId, usage, amount: 1n }));
      expect(error.code).to.equal("bad-device");
      expect(error.message).to.contain(stranger.address);
    });
  });

  describe("when the device key was revoked before the period ended", function () {
    it("is refused bad-device", async function () {
      r = await running();
      await r.f.machines.connect(r.f.provider).revokeKey(r.f.machineId, r.f.device.address);
      const revokedAt = await networkHelpers.time.latest();
      const request = await requestFor(r, 1, { periodStart: revokedAt - 5, periodEnd: revokedAt });
      const error = await refusal(r.payer.pay(request));
      expect(error.code).to.equal("bad-device");
      expect(error.message).to.contain("was not valid");
    });
  });

  describe("when the period ends in the future or counts more seconds than it lasts", function () {
    it("is refused bad-period", async function () {
      r = await running();
      const now = await networkHelpers.time.latest();
      const future = await requestFor(r, 1, { periodStart: now + 100, periodEnd: now + 200 });
      expect((await refusal(r.payer.pay(future))).code).to.equal("bad-period");
      const long = await requestFor(r, 1, { machineSeconds: 11n });
      expect((await refusal(r.payer.pay(long))).code).to.equal("bad-period");
    });
  });

  describe("when the period starts before the device's last paid period ended", function () {
    it("C-04 refuses it bad-period, naming where the next period may start, also after a restart", async function () {
      r = await running({ caps: { periodSeconds: 600, perDevice: parseEuro("25.5") } });
      const start = Math.ceil((r.start + 1) / 600) * 600;
      await r.payer.pay(await requestFor(r, 1, { periodStart: start + 600, periodEnd: start + 610 }));
      // Back in time, into a cap period in which the device was paid nothing yet.
      const back = await requestFor(r, 2, { periodStart: start, periodEnd: start + 10 });
      const error = await refusal(r.payer.pay(back));
      expect(error.code).to.equal("bad-period");
      expect(error.message).to.contain(`starts at ${start}, before ${start + 610}`);
      const overlapping = await requestFor(r, 2, { periodStart: start + 605, periodEnd: start + 1205 });
      expect((await refusal(r.payer.pay(overlapping))).code).to.equal("bad-period");
      const { f, dir } = r;
      await r.stop();
      r = await running({ f, dir });
      expect((await refusal(r.payer.pay(back))).code).to.equal("bad-period");
      const next = await requestFor(r, 2, { periodStart: start + 1200, periodEnd: start + 1210 });
      expect((await r.payer.pay(next)).voucher.amount).to.equal(next.amount);
    });
  });

  describe("when the period starts before the channel was opened", function () {
    it("C-04 refuses it bad-period, naming the opening time", async function () {
      r = await running();
      const early = await requestFor(r, 1, { periodStart: r.f.openedAt - 600, periodEnd: r.f.openedAt + 5 });
      const error = await refusal(r.payer.pay(early));
      expect(error.code).to.equal("bad-period");
      expect(error.message).to.contain(`before channel ${r.f.channelId} was opened (at ${r.f.openedAt})`);
      const first = await requestFor(r, 1, { periodStart: r.f.openedAt, periodEnd: r.f.openedAt + 10 });
      expect((await r.payer.pay(first)).voucher.amount).to.equal(first.amount);
    });

    it("C-04 takes a store from before the opening time was kept: the payer pays nothing until trackChannel read it", async function () {
      r = await running();
      const path = join(r.dir, "older-payer.sqlite");
      const older = new DatabaseSync(path);
      older.exec(
        "CREATE TABLE channels (channel_id TEXT PRIMARY KEY, payee TEXT NOT NULL, nonce TEXT NOT NULL, " +
          "deposit TEXT NOT NULL, machine_id TEXT NOT NULL, tariff_version INTEGER NOT NULL, signed TEXT NOT NULL, " +
          "machine_seconds TEXT NOT NULL, units TEXT NOT NULL, sequence INTEGER NOT NULL)",
      );
      older
        .prepare("INSERT INTO channels VALUES (?, ?, ?, ?, ?, 1, '0', '0', '0', 0)")
        .run(r.f.channelId, r.f.payee.address, r.f.key.nonce.toString(), DEPOSIT.toString(), r.f.machineId.toString());
      older.close();
      const store = new PayerStore({ path });
      try {
        expect(store.channel(r.f.channelId)!.openedAt).to.equal(0);
        const payer = new PayerAgent({
          domain: r.f.domain,
          privateKey: r.f.payerKey,
          store,
          devices: registryDevices(r.f.chain.publicClient, (await r.f.machines.getAddress()) as `0x${string}`, 0),
          tariffs: r.f.tariffs,
          caps: CAPS,
          now: () => r.start + 3600,
        });
        const request = await requestFor(r, 1);
        const failure = await payer.pay(request).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).to.be.instanceOf(Error).and.not.be.instanceOf(PaymentRefused);
        expect((failure as Error).message).to.contain("restart the payer");
        await trackChannel(store, r.f.client, r.f.key, { machineId: r.f.machineId, tariffVersion: 1 });
        expect(store.channel(r.f.channelId)!.openedAt).to.equal(r.f.openedAt);
        expect((await payer.pay(request)).voucher.amount).to.equal(request.amount);
      } finally {
        store.close();
      }
    });

    it("C-04 trackChannel keeps the channel's opening time, its block's timestamp", async function () {
      r = await running();
      const store = new PayerStore({ path: ":memory:" });
      try {
        const tracked = await trackChannel(store, r.f.client, r.f.key, { machineId: r.f.machineId, tariffVersion: 1 });
        const block = await r.f.chain.publicClient.getBlock({ blockNumber: r.f.key.nonce >> 32n });
        expect(tracked.openedAt).to.equal(Number(block.timestamp));
        expect(tracked.openedAt).to.equal(r.f.openedAt);
      } finally {
        store.close();
      }
    });
  });

  describe("when the payee asks for more than the tariff gives", function () {
    it("is refused price-mismatch, stating both amounts", async function () {
      r = await running();
      const request = await requestFor(r, 1);
      const error = await refusal(r.payer.pay({ ...request, amount: request.amount + 1n }));
      expect(error.code).to.equal("price-mismatch");
      expect(error.message).to.contain(`${request.amount} in all`);
      expect(r.payerStore.channel(r.f.channelId)!.sequence).to.equal(0);
    });
  });

  describe("when the device's spending cap of the period would be exceeded", function () {
    it("is refused cap-reached; a part of the next period is paid", async function () {
      r = await running({ caps: { periodSeconds: 600, perDevice: parseEuro("25.5") } });
      // Two whole cap periods inside the hour the machine ran.
      const start = Math.ceil((r.start + 1) / 600) * 600;
      await r.payer.pay(await requestFor(r, 1, { periodStart: start, periodEnd: start + 10 }));
      const second = await requestFor(r, 2, { periodStart: start + 10, periodEnd: start + 20 });
      const error = await refusal(r.payer.pay(second));
      expect(error.code).to.equal("cap-reached");
      expect(error.message).to.contain(r.f.device.address);
      const nextPeriod = await requestFor(r, 2, { periodStart: start + 600, periodEnd: start + 610 });
      expect((await r.payer.pay(nextPeriod)).voucher.amount).to.equal(nextPeriod.amount);
    });
  });

  describe("when the deposit would be exceeded", function () {
    it("is refused by the payee before it asks, and by a payer asked directly", async function () {
      r = await running();
      const big = await increment(r.f, 1, r.start, { units: 1000n });
      try {
        await r.payee.pay(big);
        expect.fail("expected the payee to refuse");
      } catch (error) {
        expect(error).to.be.instanceOf(VoucherRejected);
        expect((error as Error).message).to.contain("above its deposit");
      }
      const request = await requestFor(r, 1, { units: 1000n });
      expect((await refusal(r.payer.pay(request))).code).to.equal("deposit-exhausted");
    });
  });

  describe("when the payer answers with a bad voucher", function () {
    /** A payer that signs what `tamper` makes of the right voucher, with `key`. */
    async function badPayer(
      r: Running,
      tamper: (v: { payee: `0x${string}`; nonce: bigint; amount: bigint; usage: `0x${string}` }) => typeof v,
      key = r.f.payerKey,
    ) {
      const signer = new VoucherSigner(r.f.domain, key);
      const { createServer } = await import("node:http");
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as {
            amount: string;
            increment: { sequence: number };
          };
          void (async () => {
            const usage = usageDigest(r.f.domain, (await increment(r.f, body.increment.sequence, r.start)).increment);
            const voucher = tamper({
              payee: r.f.payee.address,
              nonce: r.f.key.nonce,
              amount: BigInt(body.amount),
              usage,
            });
            const signature = signer.sign(voucher);
            res.writeHead(200, { "content-type": "application/json" }).end(
              JSON.stringify({
                voucher: { ...voucher, nonce: voucher.nonce.toString(), amount: voucher.amount.toString() },
                signature: key === r.f.payerKey && voucher.amount === 0n ? "0x00" : signature,
              }),
            );
          })();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return server;
    }

    const cases: [
      string,
      (v: { payee: `0x${string}`; nonce: bigint; amount: bigint; usage: `0x${string}` }) => typeof v,
      boolean,
    ][] = [
      ["signed by someone else", (v) => v, true],
      ["paying another payee", (v) => ({ ...v, payee: privateKeyToAccount(generatePrivateKey()).address }), false],
      ["for another nonce", (v) => ({ ...v, nonce: v.nonce + 1n }), false],
      ["for another amount", (v) => ({ ...v, amount: v.amount - 1n }), false],
      ["naming other usage", (v) => ({ ...v, usage: `0x${"11".repeat(32)}` }), false],
    ];
    for (const [name, tamper, otherKey] of cases) {
      it(`rejects a voucher ${name} and stores nothing`, async function () {
        r = await running();
        const server = await badPayer(r, tamper, otherKey ? generatePrivateKey() : r.f.payerKey);
        const payee = new PayeeAgent({
          domain: r.f.domain,
          payee: r.f.payee.address,
          store: r.payeeStore,
          tariffs: r.f.tariffs,
          payerUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        });
        try {
          await payee.pay(await increment(r.f, 1, r.start));
          expect.fail("expected the payee to reject the voucher");
        } catch (error) {
          expect(error).to.be.instanceOf(VoucherRejected);
        } finally {
          payee.close();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        }
        expect(r.payeeStore.newestVoucher(r.f.channelId)).to.equal(undefined);
        expect(r.payeeStore.channel(r.f.channelId)!.sequence).to.equal(0);
      });
    }
  });

  describe("when either side restarts from its files", function () {
    it("resumes at the next increment", async function () {
      r = await running();
      for (let sequence = 1; sequence <= 3; sequence++) await r.payee.pay(await increment(r.f, sequence, r.start));
      const { f, dir } = r;
      await r.stop();
      r = await running({ f, dir });
      expect(r.payeeStore.channel(f.channelId)!.sequence).to.equal(3);
      expect(r.payerStore.channel(f.channelId)!.sequence).to.equal(3);
      const ack = await r.payee.pay(await increment(f, 4, r.start));
      expect(ack.sequence).to.equal(4);
      expect(r.payerStore.newestVoucher(f.channelId)!.amount).to.equal(ack.amount);
    });
  });

  describe("on chain", function () {
    it("claims the newest voucher; the chain's claimed total equals it", async function () {
      r = await running();
      for (let sequence = 1; sequence <= 3; sequence++) await r.payee.pay(await increment(r.f, sequence, r.start));
      const newest = r.payeeStore.newestVoucher(r.f.channelId)!;
      const before = await r.f.token.balanceOf(r.f.payee.address);
      expect(await r.payee.claim(r.f.channelId)).to.equal(newest.amount);
      expect((await r.f.client.state(r.f.channelId)).claimed).to.equal(newest.amount);
      expect(await r.f.token.balanceOf(r.f.payee.address)).to.equal(before + newest.amount);
      expect(await r.payee.claim(r.f.channelId)).to.equal(0n);
    });

    it("claims nothing in a watch round when little is unclaimed and nothing is urgent", async function () {
      r = await running();
      await r.payee.pay(await increment(r.f, 1, r.start));
      expect(await r.payee.watchOnce()).to.deep.equal([]);
    });

    it("claims in a watch round once enough is unclaimed", async function () {
      r = await running();
      for (let sequence = 1; sequence <= 2; sequence++) await r.payee.pay(await increment(r.f, sequence, r.start));
      expect(r.payeeStore.newestVoucher(r.f.channelId)!.amount).to.be.greaterThan(parseEuro("25.5"));
      expect(await r.payee.watchOnce()).to.deep.equal([r.f.channelId]);
    });

    it("claims when the payer starts closing, also after a restart, and stops serving the channel", async function () {
      r = await running();
      await r.payee.pay(await increment(r.f, 1, r.start));
      const { f, dir } = r;
      await r.stop();
      await f.client.requestClose(f.payerWallet, f.key);
      r = await running({ f, dir });
      expect(await r.payee.watchOnce()).to.deep.equal([f.channelId]);
      const state = await f.client.state(f.channelId);
      expect(state.closing).to.equal(true);
      expect(state.claimed).to.equal(r.payeeStore.newestVoucher(f.channelId)!.amount);
      try {
        await r.payee.pay(await increment(f, 2, r.start));
        expect.fail("expected the payee to stop serving a closing channel");
      } catch (error) {
        expect((error as Error).message).to.contain("started closing");
      }
    });

    it("claims when the deadline is near", async function () {
      r = await running();
      await r.payee.pay(await increment(r.f, 1, r.start));
      const state = await r.f.client.state(r.f.channelId);
      const payee = new PayeeAgent({
        domain: r.f.domain,
        payee: r.f.payee.address,
        store: r.payeeStore,
        tariffs: r.f.tariffs,
        payerUrl: r.url,
        chain: { client: r.f.client, wallet: r.f.payeeWallet, policy: { threshold: parseEuro("1000"), margin: 600 } },
        now: () => state.deadline - 300,
      });
      expect(await payee.watchOnce()).to.deep.equal([r.f.channelId]);
      payee.close();
    });
  });
});
