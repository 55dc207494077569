/*
machine.tree: the machine loop (src/services/channels/machine.ts) and the payee's pending increment (payee.ts, store.ts),
in process, over HTTP on loopback against the in-process chain.

Machine.run / PayeeAgent.pay
├── when the job has N parts ─────────────────────────── it makes and gets paid N parts, each period starting where
│   the last one ended, and stops "done"
├── when the payer's answer to a paid increment is lost ─ the increment stays pending; a restarted payee asks for
│   that same increment and gets the voucher the payer committed; nothing new is signed
├── when the payer fails (HTTP 500) ──────────────────── the increment stays pending (the payer may have signed)
├── when the payer refuses ───────────────────────────── the pending increment is dropped (it signed nothing)
└── when the payer started closing the channel ───────── the machine stops "closing"
*/
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { network } from "hardhat";

import { Machine, type MachineOptions } from "../../../src/services/channels/machine.js";
import { PayeeAgent } from "../../../src/services/channels/payee.js";
import {
  createPayerServer,
  PayerAgent,
  registryDevices,
  type PaidVoucher,
} from "../../../src/services/channels/payer.js";
import { PaymentRefused, requestFromJson } from "../../../src/services/channels/protocol.js";
import { PayeeStore, PayerStore } from "../../../src/services/channels/store.js";
import { usageFromJson } from "../../../src/core/increment.js";
import { parseEuro } from "../../../src/core/money.js";
import { channelFixture, increment, type ChannelFixture } from "../../helpers/channels.js";

const connection = await network.create();
const { networkHelpers } = connection;
const deployChannel = channelFixture(connection);

interface Setup {
  f: ChannelFixture;
  dir: string;
  payerStore: PayerStore;
  payeeStore: PayeeStore;
  payer: PayerAgent;
  paid: PaidVoucher[];
  servers: Server[];
  agents: PayeeAgent[];
  /** The chain's time when the setup ran: increments end before it. */
  now: number;
}

async function listen(server: Server, setup: Setup): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  setup.servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function setUp(): Promise<Setup> {
  const f = await networkHelpers.loadFixture(deployChannel);
  if ((await networkHelpers.time.latest()) < f.openedAt + 3600) await networkHelpers.time.increaseTo(f.openedAt + 3600);
  const now = await networkHelpers.time.latest();
  const dir = mkdtempSync(join(tmpdir(), "channels-machine-"));
  const payerStore = new PayerStore({ path: join(dir, "payer.sqlite") });
  const payeeStore = new PayeeStore({ path: join(dir, "payee.sqlite") });
  const channel = { channelId: f.channelId, nonce: f.key.nonce, machineId: f.machineId, tariffVersion: 1 };
  payerStore.addChannel({
    ...channel,
    payee: f.payee.address,
    deposit: (await f.client.state(f.channelId)).deposit,
    openedAt: f.openedAt,
  });
  const state = await f.client.state(f.channelId);
  payeeStore.addChannel({
    ...channel,
    payer: f.payer.address,
    payee: f.payee.address,
    deposit: state.deposit,
    deadline: state.deadline,
  });
  const paid: PaidVoucher[] = [];
  const payer = new PayerAgent({
    domain: f.domain,
    privateKey: f.payerKey,
    store: payerStore,
    devices: registryDevices(f.chain.publicClient, (await f.machines.getAddress()) as `0x${string}`, 0),
    tariffs: f.tariffs,
    caps: { periodSeconds: 3600, perDevice: parseEuro("1000") },
    now: () => now,
    onPaid: (p) => paid.push(p),
  });
  return { f, dir, payerStore, payeeStore, payer, paid, servers: [], agents: [], now };
}

function payeeAgent(s: Setup, payerUrl: string): PayeeAgent {
  const agent = new PayeeAgent({
    domain: s.f.domain,
    payee: s.f.payee.address,
    store: s.payeeStore,
    tariffs: s.f.tariffs,
    payerUrl,
    chain: { client: s.f.client, wallet: s.f.payeeWallet, policy: { threshold: parseEuro("1000"), margin: 600 } },
  });
  s.agents.push(agent);
  return agent;
}

function machine(s: Setup, agent: PayeeAgent, options: Partial<MachineOptions> = {}): Machine {
  // The machine's clock: five seconds a part, ending before the chain's time.
  let clock = s.now - 600;
  return new Machine({
    agent,
    store: s.payeeStore,
    channelId: s.f.channelId,
    device: s.f.device,
    domain: s.f.domain,
    tickMs: 0,
    now: () => (clock += 5),
    ...options,
  });
}

/** A payer server that answers every request the way `answer` says. */
function oddPayer(answer: (body: string, res: ServerResponse) => Promise<void>): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => void answer(Buffer.concat(chunks).toString("utf8"), res));
  });
}

describe("Machine and the payee's pending increment", function () {
  let s: Setup | undefined;
  afterEach(async function () {
    if (s === undefined) return;
    for (const agent of s.agents) agent.close();
    for (const server of s.servers) await new Promise<void>((resolve) => server.close(() => resolve()));
    s.payerStore.close();
    s.payeeStore.close();
    rmSync(s.dir, { recursive: true, force: true });
    s = undefined;
  });

  describe("when the job has N parts", function () {
    it("gets N parts paid, each period starting where the last ended, and stops done", async function () {
      s = await setUp();
      const url = await listen(createPayerServer(s.payer), s);
      const acks: number[] = [];
      const why = await machine(s, payeeAgent(s, url), {
        parts: 4,
        onAcknowledged: (a) => acks.push(a.sequence),
      }).run();
      expect(why).to.equal("done");
      expect(acks).to.deep.equal([1, 2, 3, 4]);
      const increments = s.payeeStore.payments(s.f.channelId).map((p) => usageFromJson(JSON.parse(p.increment)));
      for (let i = 1; i < increments.length; i++) {
        expect(increments[i]!.periodStart).to.equal(increments[i - 1]!.periodEnd);
        expect(increments[i]!.machineSeconds).to.equal(BigInt(increments[i]!.periodEnd - increments[i]!.periodStart));
      }
      expect(s.payerStore.newestVoucher(s.f.channelId)).to.deep.equal(s.payeeStore.newestVoucher(s.f.channelId));
      expect(s.payeeStore.pending(s.f.channelId)).to.equal(undefined);
    });
  });

  describe("when the payer's answer to a paid increment is lost", function () {
    it("keeps the increment pending; a restarted payee asks for it again and gets the committed voucher", async function () {
      s = await setUp();
      const setup = s;
      const lossy = await listen(
        oddPayer(async (body, res) => {
          await setup.payer.pay(requestFromJson(body));
          res.destroy();
        }),
        setup,
      );
      const first = await increment(setup.f, 1, setup.f.openedAt);
      try {
        await payeeAgent(setup, lossy).pay(first);
        expect.fail("expected the lost answer to fail the payment");
      } catch (error) {
        expect(error).to.not.be.instanceOf(PaymentRefused);
      }
      expect(setup.payerStore.channel(setup.f.channelId)!.sequence).to.equal(1);
      expect(setup.payeeStore.channel(setup.f.channelId)!.sequence).to.equal(0);
      expect(setup.payeeStore.pending(setup.f.channelId)?.sequence).to.equal(1);

      // The restarted payee (a new agent on the same store) resumes with the pending increment.
      const restarted = payeeAgent(setup, await listen(createPayerServer(setup.payer), setup));
      expect(restarted.pending(setup.f.channelId)).to.deep.equal(first);
      const why = await machine(setup, restarted, { parts: 1 }).run();
      expect(why).to.equal("done");
      expect(setup.paid.map((p) => [p.sequence, p.again])).to.deep.equal([
        [1, false],
        [1, true],
      ]);
      expect(setup.payeeStore.newestVoucher(setup.f.channelId)).to.deep.equal(
        setup.payerStore.newestVoucher(setup.f.channelId),
      );
      expect(setup.payeeStore.pending(setup.f.channelId)).to.equal(undefined);
    });
  });

  describe("when the payer fails (HTTP 500)", function () {
    it("keeps the increment pending: the payer may have signed", async function () {
      s = await setUp();
      const url = await listen(
        oddPayer(async (_body, res) => {
          res.writeHead(500, { "content-type": "application/json" }).end('{"error":"internal","reason":"disk full"}');
        }),
        s,
      );
      try {
        await payeeAgent(s, url).pay(await increment(s.f, 1, s.f.openedAt));
        expect.fail("expected the payment to fail");
      } catch (error) {
        expect(error).to.not.be.instanceOf(PaymentRefused);
        expect((error as Error).message)
          .to.contain("HTTP 500")
          .and.to.contain("disk full");
      }
      expect(s.payeeStore.pending(s.f.channelId)?.sequence).to.equal(1);
    });
  });

  describe("when the payer refuses", function () {
    it("drops the pending increment: the payer signed nothing for it", async function () {
      s = await setUp();
      const url = await listen(createPayerServer(s.payer), s);
      // An increment that ends in the payer's future: refused bad-period.
      const future = await increment(s.f, 1, s.f.openedAt, { periodStart: s.now + 500, periodEnd: s.now + 510 });
      try {
        await payeeAgent(s, url).pay(future);
        expect.fail("expected the payer to refuse");
      } catch (error) {
        expect(error).to.be.instanceOf(PaymentRefused);
        expect((error as PaymentRefused).code).to.equal("bad-period");
      }
      expect(s.payeeStore.pending(s.f.channelId)).to.equal(undefined);
    });
  });

  describe("when the payer started closing the channel", function () {
    it('stops, saying "closing"', async function () {
      s = await setUp();
      const url = await listen(createPayerServer(s.payer), s);
      const agent = payeeAgent(s, url);
      await machine(s, agent, { parts: 1 }).run();
      await s.f.client.requestClose(s.f.payerWallet, s.f.key);
      await agent.sync(s.f.channelId);
      expect(await machine(s, agent, { parts: 5 }).run()).to.equal("closing");
      expect(s.payeeStore.channel(s.f.channelId)!.sequence).to.equal(1);
    });
  });
});
