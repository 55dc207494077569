/*
period-rules.tree: the meter's rule for a stream's periods, applied by the gateway (src/services/gateway/ingest.ts) before it
stores a report, on the in-process network. Each refusal is a 4xx that names the rule and what to do; nothing of
it is stored.

POST /reports
├── when a stream's first period starts before the order opened ─────────── 422 PeriodStartsBeforeOrder
├── when a period starts before the previous report of its stream ended
│   ├── the previous one the gateway stored ──────────────────────────────── 422 PeriodOverlapsPrevious
│   ├── the chain's last recorded one, the gateway holding none of it ─────── 422 PeriodOverlapsPrevious
│   └── both: the later end counts ───────────────────────────────────────── 422 PeriodOverlapsPrevious
│       (a period starting exactly at that end is stored)
├── when the signing key is not valid over the whole period
│   ├── it became valid after the period started ─────────────────────────── 403 SignerNotValidForPeriod
│   └── it was revoked before the period ended ───────────────────────────── 403 SignerNotValidForPeriod
└── the clock: the chain's (its latest block), with the gateway's tolerance
    ├── when the chain's clock is an hour ahead of this host's ───────────── a period ending at the chain's time is stored
    ├── when a period ends within the tolerance after the chain's time ────── stored; submitted once a block reaches it
    └── when a period ends beyond it ─────────────────────────────────────── 422 PeriodInFuture naming the chain's time
*/
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { network } from "hardhat";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { KeyKind } from "../../../src/core/listing.js";
import { ContractChainView } from "../../../src/services/gateway/chain.js";
import { Ingest } from "../../../src/services/gateway/ingest.js";
import { serveGateway, type GatewayServer } from "../../../src/services/gateway/server.js";
import { GatewayStore } from "../../../src/services/gateway/store.js";
import { Submitter } from "../../../src/services/gateway/submitter.js";
import { ReportSigner } from "../../../src/crypto/report-digest.js";
import { reportToJson } from "../../../src/codec/report-wire.js";
import type { UsageReport } from "../../../src/core/report.js";
import { bookedFixture, recordAllStored, type Booked } from "../../helpers/gateway.js";

const connection = await network.create();
const { networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;
const booked = bookedFixture(connection);

describe("gateway: a stream's periods, as the meter orders and bounds them", function () {
  this.timeout(120_000);
  let dir: string;
  let f: Booked;
  let store: GatewayStore;
  let served: GatewayServer;

  async function startGateway(name = "gateway.sqlite"): Promise<void> {
    store = new GatewayStore({ path: join(dir, name) });
    const chain = new ContractChainView({
      publicClient: f.chain.publicClient,
      machineRegistry: f.registryAddress,
      usageMeter: f.meterAddress,
      ttlMs: 0,
    });
    const ingest = new Ingest({ store, chain, domain: f.domain, gapWaitMs: 100 });
    served = await serveGateway({ ingest, store });
  }

  async function stopGateway(): Promise<void> {
    await served.close();
    store.close();
  }

  beforeEach(async function () {
    f = await loadFixture(booked);
    dir = mkdtempSync(join(tmpdir(), "period-rules-"));
    await startGateway();
  });

  afterEach(async function () {
    await stopGateway();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A device report of order 1, signed by `key` (default the machine's device key). */
  function signed(fields: Partial<UsageReport> & Pick<UsageReport, "periodStart" | "periodEnd">, key?: Hex) {
    return new ReportSigner(f.domain, key ?? f.deviceKey).sign({
      orderId: f.orderId,
      sequence: 1,
      machineSeconds: 10n,
      units: 1n,
      inspections: 0,
      licensedProducts: [],
      readingsRoot: `0x${"ab".repeat(32)}`,
      ...fields,
    });
  }

  async function post(report: ReturnType<typeof signed>) {
    const response = await fetch(`${served.url}/reports`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(reportToJson(report)),
    });
    return { status: response.status, body: (await response.json()) as { reason?: string; error?: string } };
  }

  async function expectRefused(report: ReturnType<typeof signed>, status: number, reason: string, words: string[]) {
    const before = store.all().length;
    const answer = await post(report);
    expect([answer.status, answer.body.reason], JSON.stringify(answer.body)).to.deep.equal([status, reason]);
    for (const word of words) expect(answer.body.error).to.include(word);
    expect(store.all()).to.have.length(before);
  }

  async function expectStored(report: ReturnType<typeof signed>) {
    const answer = await post(report);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
  }

  describe("when a stream's first period starts before the order opened", function () {
    it("refuses it with 422 PeriodStartsBeforeOrder, naming when the order opened", async function () {
      await time.increase(600);
      const now = await time.latest();
      // The key was valid a while before the order opened: the period's start breaks the order's rule only.
      const validFrom = Number((await f.machines.signerKey(f.device.address)).validFrom);
      expect(validFrom).to.be.below(f.openedAt - 1);
      await expectRefused(signed({ periodStart: f.openedAt - 1, periodEnd: now }), 422, "PeriodStartsBeforeOrder", [
        "before the order opened",
        String(f.openedAt),
      ]);
      await expectStored(signed({ periodStart: f.openedAt, periodEnd: now }));
    });
  });

  describe("when a period starts before the previous report of its stream ended", function () {
    it("refuses an overlap with the report the gateway stored last (422 PeriodOverlapsPrevious)", async function () {
      await time.increase(600);
      const end1 = await time.latest();
      await expectStored(signed({ periodStart: f.openedAt, periodEnd: end1 }));
      await time.increase(600);
      const now = await time.latest();
      await expectRefused(
        signed({ sequence: 2, periodStart: end1 - 10, periodEnd: now }),
        422,
        "PeriodOverlapsPrevious",
        [`starts at ${end1 - 10}`, `at ${end1} or later`],
      );
      // The inspector's stream is ordered on its own: its first period may start at the opening.
      await expectStored({
        ...signed(
          { periodStart: f.openedAt, periodEnd: now, machineSeconds: 0n, units: 0n, inspections: 1 },
          f.inspectorKey,
        ),
      });
      await expectStored(signed({ sequence: 2, periodStart: end1, periodEnd: now }));
    });

    it("refuses an overlap with the chain's last recorded period when the gateway holds none of it", async function () {
      await time.increase(600);
      const end1 = await time.latest();
      await expectStored(signed({ periodStart: f.openedAt, periodEnd: end1 }));
      await recordAllStored(f, store);
      // A gateway with a fresh store knows report 1 only from the meter.
      await stopGateway();
      await startGateway("fresh.sqlite");
      await time.increase(600);
      const now = await time.latest();
      await expectRefused(
        signed({ sequence: 2, periodStart: f.openedAt, periodEnd: now }),
        422,
        "PeriodOverlapsPrevious",
        [`at ${end1} or later`],
      );
      await expectStored(signed({ sequence: 2, periodStart: end1, periodEnd: now }));
    });

    it("takes the later end of the chain's last period and the gateway's stored one", async function () {
      await time.increase(600);
      const end1 = await time.latest();
      await expectStored(signed({ periodStart: f.openedAt, periodEnd: end1 }));
      await recordAllStored(f, store);
      await time.increase(600);
      const end2 = await time.latest();
      await expectStored(signed({ sequence: 2, periodStart: end1, periodEnd: end2 }));
      await time.increase(600);
      const now = await time.latest();
      // After the chain's last period (end1), but before the stored one's end (end2).
      await expectRefused(
        signed({ sequence: 3, periodStart: end1 + 1, periodEnd: now }),
        422,
        "PeriodOverlapsPrevious",
        [`at ${end2} or later`],
      );
      await expectStored(signed({ sequence: 3, periodStart: end2, periodEnd: now }));
    });
  });

  describe("when the signing key is not valid over the whole period", function () {
    it("refuses a key that became valid after the period started (403 SignerNotValidForPeriod)", async function () {
      await time.increase(600);
      const newKey = generatePrivateKey();
      await f.machines.connect(f.provider).addKey(1n, privateKeyToAccount(newKey).address, KeyKind.Device);
      const validFrom = await time.latest();
      await time.increase(600);
      const now = await time.latest();
      await expectRefused(signed({ periodStart: f.openedAt, periodEnd: now }, newKey), 403, "SignerNotValidForPeriod", [
        `valid from ${validFrom}`,
        `${f.openedAt}..${now}`,
      ]);
      await expectStored(signed({ periodStart: validFrom, periodEnd: now }, newKey));
    });

    it("refuses a key revoked before the period ended (403 SignerNotValidForPeriod)", async function () {
      await time.increase(600);
      await f.machines.connect(f.provider).revokeKey(1n, f.device.address);
      const revokedAt = await time.latest();
      await time.increase(600);
      const now = await time.latest();
      await expectRefused(signed({ periodStart: f.openedAt, periodEnd: now }), 403, "SignerNotValidForPeriod", [
        `until ${revokedAt}`,
      ]);
      await expectStored(signed({ periodStart: f.openedAt, periodEnd: revokedAt - 1 }));
    });
  });

  describe("the clock: the chain's, with the gateway's tolerance", function () {
    it("stores a period ending at the chain's time when that is an hour ahead of this host's clock", async function () {
      const host = Math.floor(Date.now() / 1000);
      await time.increaseTo(host + 3699);
      const now = await time.latest();
      expect(now - host).to.be.at.least(3699);
      await expectStored(signed({ periodStart: f.openedAt, periodEnd: now }));
    });

    it("stores a period ending within the tolerance after the chain's time, and submits it once a block reaches it", async function () {
      await time.increase(600);
      const now = await time.latest();
      await expectStored(signed({ periodStart: f.openedAt, periodEnd: now + 30 }));
      const submitter = new Submitter({
        store,
        publicClient: f.chain.publicClient,
        wallet: f.chain.wallet(f.chain.accounts[9]!),
        usageMeter: f.meterAddress,
      });
      expect(await submitter.submit()).to.equal(0);
      await time.increase(40);
      await submitter.tick();
      await submitter.tick();
      expect(store.all().map((r) => r.status)).to.deep.equal(["recorded"]);
    });

    it("refuses a period ending beyond the tolerance after the chain's time (422 PeriodInFuture)", async function () {
      const host = Math.floor(Date.now() / 1000);
      await time.increaseTo(host + 3699);
      const now = await time.latest();
      await expectRefused(signed({ periodStart: f.openedAt, periodEnd: now + 600 }), 422, "PeriodInFuture", [
        "after the chain's time",
        String(now),
      ]);
    });
  });
});
