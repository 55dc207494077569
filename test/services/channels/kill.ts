/*
kill.tree: the payer and payee agents as real processes (scripts/channel-payer.ts, scripts/channel-payee.ts)
against anvil on loopback, each SIGKILLed several times at random moments and restarted from its SQLite store.
The kill schedule follows a seed; CHANNEL_KILL_SEED=<seed> repeats a run's schedule.

channel agents killed at random moments
├── while the machine makes parts and the payee gets each paid ─── after every kill, the victim's store holds
│   everything it acknowledged (payee: every printed acknowledgement, the newest voucher at least their sum;
│   payer: every voucher it answered with), and the restarted process starts from there
├── once every part is paid ───────────────────────────────────── payer and payee agree on the newest voucher,
│   the increment number and the usage paid for; each stored voucher is the payer's and adds exactly the
│   tariff price of its increment; the payer answered one voucher per number and one number per amount
└── when the payer closes alone while the payee is down ────────── (a few more parts paid first, left
    unclaimed) the restarted payee claims its newest voucher before the challenge period ends; settling pays
    the payee exactly that and refunds the rest
*/
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";

import { VoucherVerifier } from "../../../src/crypto/voucher-digest.js";
import { incrementPrice } from "../../../src/services/channels/protocol.js";
import { PayeeStore, PayerStore } from "../../../src/services/channels/store.js";
import { usageDigest, usageFromJson } from "../../../src/core/increment.js";
import { settlementTokenAbi } from "../../../src/generated/abis.js";
import { seededRandom } from "../../../src/core/random.js";
import { AgentProcess, killEveryAgent, type AgentEvent } from "../../helpers/agent-process.js";
import { freePort, startAnvil, type Anvil } from "../../helpers/anvil.js";
import { CHANNEL_TARIFF, DEPOSIT } from "../../helpers/channels.js";
import { MINTED, rpcChannel, type RpcChannel } from "../../helpers/rpc-channels.js";

const SEED = process.env.CHANNEL_KILL_SEED
  ? Number(process.env.CHANNEL_KILL_SEED)
  : Math.floor(Math.random() * 2 ** 31);
/** Parts the job has; kills of each side; a part per this many milliseconds. */
const PARTS = 120;
const KILLS_EACH = 4;
const TICK_MS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const acks = (payee: AgentProcess) => payee.events.filter((e) => e.event === "acknowledged");
const paids = (payer: AgentProcess) => payer.events.filter((e) => e.event === "paid");
const big = (value: unknown): bigint => BigInt(value as string);
const maxOf = (values: bigint[]): bigint => values.reduce((a, b) => (b > a ? b : a), 0n);

describe("channel agents killed at random moments (real processes on anvil)", function () {
  this.timeout(120_000);
  const random = seededRandom(SEED);
  let anvil: Anvil | undefined;
  let c: RpcChannel;
  let dir: string | undefined;
  let payer: AgentProcess;
  let payee: AgentProcess;
  let payerStorePath: string;
  let payeeStorePath: string;
  /** Set by each phase that completed, so that a later one skips instead of failing for the earlier one. */
  const completed = new Set<string>();
  /** The payee's --parts and --claim-threshold; the closing phase raises both (see there). */
  let parts = PARTS;
  let claimThreshold = "5";

  before(async function () {
    this.timeout(60_000);
    console.log(`      kill seed ${SEED} (CHANNEL_KILL_SEED=${SEED} repeats this schedule)`);
    // Without the size limit: `npm run coverage` deploys instrumented bytecode, larger than what ships.
    anvil = await startAnvil(["--hardfork", "prague", "--disable-code-size-limit"]);
    c = await rpcChannel(anvil.url, SEED);
    // Set up with instant mining; from here on, a block a second, as on a real chain.
    await c.test.setAutomine(false);
    await c.test.setIntervalMining({ interval: 1 });
    dir = mkdtempSync(join(tmpdir(), "channels-kill-"));
    payerStorePath = join(dir, "payer.sqlite");
    payeeStorePath = join(dir, "payee.sqlite");
    const port = await freePort();
    const common = [
      "--rpc-url",
      anvil.url,
      "--channels",
      c.addresses.paymentChannels,
      "--registry",
      c.addresses.machineRegistry,
      "--nonce",
      c.key.nonce.toString(),
      "--machine",
      c.machineId.toString(),
    ];
    payer = new AgentProcess(
      "payer",
      "scripts/channel-payer.ts",
      () => [...common, "--payee", c.payee.account.address, "--store", payerStorePath, "--port", String(port)],
      { CHANNEL_PAYER_KEY: c.payer.key },
    );
    payee = new AgentProcess(
      "payee",
      "scripts/channel-payee.ts",
      () => [
        ...common,
        ...["--payer", c.payer.account.address, "--payer-url", `http://127.0.0.1:${port}`],
        ...["--store", payeeStorePath, "--port", "0", "--tick-ms", String(TICK_MS), "--parts", String(parts)],
        ...["--claim-threshold", claimThreshold, "--watch-ms", "250", "--timeout-ms", "3000"],
      ],
      { CHANNEL_PAYEE_KEY: c.payee.key, CHANNEL_DEVICE_KEY: c.deviceKey },
    );
  });

  after(async function () {
    await killEveryAgent([payer, payee].filter((agent) => agent !== undefined));
    await anvil?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      for (const agent of [payer, payee]) if (agent !== undefined) console.log(agent.diagnostics());
    }
  });

  /** Reads a store the way a restarted process would, and closes it again. */
  function withPayeeStore<T>(read: (store: PayeeStore) => T): T {
    const store = new PayeeStore({ path: payeeStorePath });
    try {
      return read(store);
    } finally {
      store.close();
    }
  }
  function withPayerStore<T>(read: (store: PayerStore) => T): T {
    const store = new PayerStore({ path: payerStorePath });
    try {
      return read(store);
    } finally {
      store.close();
    }
  }

  /** The payee's store covers every acknowledgement it printed, in any life. */
  function expectPayeeStoreCoversAcks(when: string): void {
    const printed = acks(payee);
    withPayeeStore((store) => {
      const stored = new Map(store.payments(c.channelId).map((p) => [p.sequence, p]));
      for (const ack of printed) {
        const payment = stored.get(Number(ack.sequence));
        expect(payment, `${when}: acknowledged part ${ack.sequence} is not in the payee's store`).to.not.equal(
          undefined,
        );
        expect(payment!.amount, `${when}: part ${ack.sequence}`).to.equal(big(ack.amount));
        expect(payment!.price, `${when}: part ${ack.sequence}`).to.equal(big(ack.price));
      }
      const acknowledged = new Map(printed.map((ack) => [Number(ack.sequence), big(ack.price)]));
      const sum = [...acknowledged.values()].reduce((a, b) => a + b, 0n);
      const newest = store.newestVoucher(c.channelId)?.amount ?? 0n;
      expect(newest, `${when}: the newest voucher covers the sum acknowledged`).to.be.at.least(sum);
      expect(newest).to.be.at.least(maxOf(printed.map((ack) => big(ack.amount))));
      expect(store.channel(c.channelId)!.sequence).to.be.at.least(Math.max(0, ...acknowledged.keys()));
    });
  }

  /** The payer's store holds every voucher it answered with, in any life. */
  function expectPayerStoreCoversPaid(when: string): void {
    const printed = paids(payer);
    withPayerStore((store) => {
      const channel = store.channel(c.channelId)!;
      const newest = store.newestVoucher(c.channelId);
      expect(channel.sequence, `${when}: the payer's increment number`).to.be.at.least(
        Math.max(0, ...printed.map((p) => Number(p.sequence))),
      );
      expect(channel.signed, `${when}: the payer's signed total`).to.be.at.least(
        maxOf(printed.map((p) => big(p.amount))),
      );
      expect(newest?.amount ?? 0n).to.equal(channel.signed);
      expect(newest?.sequence ?? 0).to.equal(channel.sequence);
    });
  }

  it("loses nothing acknowledged when either side is killed at random moments; both resume", async function () {
    await payer.start();
    await payee.start();
    const victims = [...Array<AgentProcess>(KILLS_EACH).fill(payer), ...Array<AgentProcess>(KILLS_EACH).fill(payee)];
    for (let i = victims.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [victims[i], victims[j]] = [victims[j]!, victims[i]!];
    }
    for (const [round, victim] of victims.entries()) {
      // A few more parts paid since the last restart, then either a random moment somewhere in a payment, or
      // the moment the payer commits a voucher: its answer is then on the way, not yet stored by the payee.
      const target =
        Math.min(PARTS, Math.max(0, ...acks(payee).map((a) => Number(a.sequence)))) + 1 + Math.floor(random() * 6);
      if (random() < 0.5 || target > PARTS) {
        await payee.waitFor(
          (e) => (e.event === "acknowledged" && Number(e.sequence) >= target) || e.event === "done",
          `part ${target} acknowledged`,
        );
        await sleep(random() * 2 * TICK_MS);
      } else {
        await payer.waitFor(
          (e) => e.event === "paid" && e.again === false && Number(e.sequence) >= target,
          `the voucher for part ${target}`,
        );
      }
      await victim.kill();
      const when = `after kill ${round + 1} (${victim.name}, life ${victim.life})`;
      if (victim === payee) expectPayeeStoreCoversAcks(when);
      else expectPayerStoreCoversPaid(when);
      await sleep(random() * 300);
      const ready = await victim.start();
      if (victim === payee) {
        const printed = acks(payee).filter((a) => a.life < ready.life);
        expect(big(ready.amount), `${when}: the payee resumes from its newest voucher`).to.be.at.least(
          maxOf(printed.map((a) => big(a.amount))),
        );
        expect(Number(ready.sequence)).to.be.at.least(Math.max(0, ...printed.map((a) => Number(a.sequence))));
      } else {
        const printed = paids(payer).filter((p) => p.life < ready.life);
        expect(Number(ready.sequence), `${when}: the payer resumes from its last voucher`).to.be.at.least(
          Math.max(0, ...printed.map((p) => Number(p.sequence))),
        );
      }
    }
    await payee.waitFor((e) => e.event === "done", `all ${PARTS} parts paid`, 60_000);
    const replayed = paids(payer).filter((p) => p.again === true).length;
    const retried = payee.events.filter((e) => e.event === "waiting").length;
    const resumed = payee.events.filter((e) => e.event === "ready" && e.pending !== null).length;
    console.log(
      `      ${PARTS} parts, ${payer.life} payer and ${payee.life} payee restarts (${resumed} with an increment ` +
        `pending), ${retried} payments retried, ${replayed} answered again, ` +
        `${payee.events.filter((e) => e.event === "claimed").length} claims`,
    );
    completed.add("kills");
  });

  it("ends with payer and payee agreeing on every voucher; none signed twice", async function () {
    if (!completed.has("kills")) this.skip();
    // One more kill of each, wherever they are (the payee watching, the payer idle).
    await payee.kill();
    await payer.kill();
    expectPayeeStoreCoversAcks("at the end");
    expectPayerStoreCoversPaid("at the end");
    const verifier = new VoucherVerifier(c.domain);
    const payments = withPayeeStore((store) => {
      const channel = store.channel(c.channelId)!;
      const newest = store.newestVoucher(c.channelId)!;
      expect(store.pending(c.channelId)).to.equal(undefined);
      withPayerStore((payerStore) => {
        const paid = payerStore.channel(c.channelId)!;
        expect(paid.sequence).to.equal(PARTS);
        expect(channel.sequence).to.equal(PARTS);
        expect(payerStore.newestVoucher(c.channelId)).to.deep.equal(newest);
        expect(paid.signed).to.equal(newest.amount);
        expect(paid.machineSeconds).to.equal(channel.machineSeconds);
        expect(paid.units).to.equal(channel.units);
        expect(channel.units).to.equal(BigInt(PARTS));
      });
      return store.payments(c.channelId);
    });

    // Each voucher is the payer's and adds exactly its increment's tariff price: nothing counted twice.
    expect(payments.map((p) => p.sequence)).to.deep.equal(Array.from({ length: PARTS }, (_, i) => i + 1));
    let totals = { machineSeconds: 0n, units: 0n };
    let amount = 0n;
    for (const payment of payments) {
      const increment = usageFromJson(JSON.parse(payment.increment));
      expect(payment.usage).to.equal(usageDigest(c.domain, increment));
      const price = incrementPrice(CHANNEL_TARIFF, totals, increment);
      amount += price;
      expect(payment.price, `price of part ${payment.sequence}`).to.equal(price);
      expect(payment.amount, `amount of part ${payment.sequence}`).to.equal(amount);
      const voucher = { payee: c.payee.account.address, nonce: c.key.nonce, amount, usage: payment.usage };
      expect(verifier.signer(voucher, payment.voucherSignature)).to.equal(c.payer.account.address.toLowerCase());
      totals = {
        machineSeconds: totals.machineSeconds + increment.machineSeconds,
        units: totals.units + increment.units,
      };
    }
    expect(amount).to.be.at.most(DEPOSIT);

    // The payer answered one voucher per increment number (however often it was asked) and one number per amount.
    const bySequence = new Map<number, AgentEvent>();
    const byAmount = new Map<string, number>();
    for (const paid of paids(payer)) {
      const sequence = Number(paid.sequence);
      const first = bySequence.get(sequence);
      if (first === undefined) bySequence.set(sequence, paid);
      else {
        expect([paid.amount, paid.usage, paid.signature], `voucher for part ${sequence}`).to.deep.equal([
          first.amount,
          first.usage,
          first.signature,
        ]);
      }
      const other = byAmount.get(String(paid.amount));
      if (other === undefined) byAmount.set(String(paid.amount), sequence);
      else expect(other, `amount ${paid.amount} signed for two parts`).to.equal(sequence);
      const stored = payments[sequence - 1]!;
      expect([big(paid.amount), paid.usage, paid.signature]).to.deep.equal([
        stored.amount,
        stored.usage,
        stored.voucherSignature,
      ]);
    }

    // What was claimed on chain so far is one of the acknowledged totals.
    const state = await c.client.state(c.channelId);
    if (state.claimed !== 0n) expect(payments.map((p) => p.amount)).to.include(state.claimed);
    completed.add("agreement");
  });

  it("claims the newest voucher before the challenge period ends when the payer closed while the payee was down", async function () {
    if (!completed.has("agreement")) this.skip();
    const { publicClient } = c.chain;
    // The payee's watcher may have claimed everything before the last kill. A few more parts, with a claim
    // threshold it never reaches, leave the newest voucher unclaimed whatever the kill schedule was.
    parts = PARTS + 3;
    claimThreshold = "1000000";
    await payer.start();
    await payee.start();
    await payee.waitFor((e) => e.event === "done" && e.life === payee.life, `all ${parts} parts paid`, 60_000);
    await payee.kill();
    await payer.kill();
    const newest = withPayeeStore((store) => store.newestVoucher(c.channelId)!);
    expect(newest.sequence).to.equal(parts);
    expect((await c.client.state(c.channelId)).claimed, "unclaimed when the payer closes").to.be.below(newest.amount);

    await c.client.requestClose(c.payer.wallet, c.key);
    const closing = await c.client.state(c.channelId);
    expect(closing.closing).to.equal(true);
    const deadline = closing.deadline;
    // Most of the challenge period passes while the payee is down.
    const latest = Number((await publicClient.getBlock()).timestamp);
    await c.test.increaseTime({ seconds: deadline - latest - 120 });
    await c.test.mine({ blocks: 1 });
    expect(Number((await publicClient.getBlock()).timestamp)).to.be.below(deadline);

    await payee.start();
    const claimed = await payee.waitFor(
      (e) => e.event === "claimed" && e.life === payee.life,
      "the claim of the closing channel",
    );
    await payee.waitFor((e) => e.event === "closing" && e.life === payee.life, "the machine stopping");
    expect(big(claimed.amount)).to.equal(newest.amount);
    const receipt = await publicClient.getTransactionReceipt({ hash: claimed.tx as `0x${string}` });
    const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
    expect(Number(block.timestamp), "claimed inside the challenge period").to.be.below(deadline);
    expect((await c.client.state(c.channelId)).claimed).to.equal(newest.amount);
    await payee.kill();

    // After the deadline anyone settles: the payee has exactly the newest voucher, the payer the rest.
    await c.test.increaseTime({ seconds: 240 });
    await c.test.mine({ blocks: 1 });
    await c.client.settle(c.payer.wallet, c.key);
    const balance = (account: `0x${string}`) =>
      publicClient.readContract({
        address: c.addresses.token,
        abi: settlementTokenAbi,
        functionName: "balanceOf",
        args: [account],
      });
    expect(await balance(c.payee.account.address)).to.equal(newest.amount);
    expect(await balance(c.payer.account.address)).to.equal(MINTED - newest.amount);
    expect((await c.client.state(c.channelId)).open).to.equal(false);
  });
});
