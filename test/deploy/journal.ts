/**
 * deploy/journal.ts repairs what a killed deployment leaves at the end of Ignition's journal, so that
 * the next run resumes: a last line cut off mid-write, futures initialised but killed before Ignition
 * prepared a transaction for them, and transactions prepared but not recorded as sent (Ignition's HHE10410),
 * whether the node received them or not.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import {
  deploy,
  DeploymentResultType,
  type Artifact,
  type ArtifactResolver,
  type DeploymentParameters,
  type EIP1193Provider,
} from "@nomicfoundation/ignition-core";
import { expect } from "chai";
import hre, { network } from "hardhat";
import { createPublicClient, custom, getAddress, type Address, type Hash } from "viem";

import CapacityMarketModule from "../../ignition/modules/CapacityMarket.js";
import { parametersFileFor } from "../../deploy/deploy.js";
import {
  findTransactionByNonce,
  recoverUnrecordedSends,
  repairJournal,
  unrecordedSends,
} from "../../deploy/journal.js";

const line = (record: Record<string, unknown>) => JSON.stringify(record);
const consortium = [
  line({ type: "DEPLOYMENT_INITIALIZE", chainId: 31337 }),
  line({ type: "DEPLOYMENT_EXECUTION_STATE_INITIALIZE", futureId: "SettlementLayer#Consortium" }),
  line({ type: "NETWORK_INTERACTION_REQUEST", futureId: "SettlementLayer#Consortium", networkInteraction: { id: 1 } }),
  line({ type: "TRANSACTION_SEND", futureId: "SettlementLayer#Consortium", networkInteractionId: 1 }),
  line({ type: "DEPLOYMENT_EXECUTION_STATE_COMPLETE", futureId: "SettlementLayer#Consortium" }),
];

function journal(lines: string[], tail = ""): string {
  const file = join(mkdtempSync(join(tmpdir(), "journal-")), "journal.jsonl");
  writeFileSync(file, lines.map((l) => `${l}\n`).join("") + tail);
  return file;
}

describe("repairing a killed deployment's Ignition journal", function () {
  it("drops a future whose only record is its initialisation, keeping everything else in order", async function () {
    const file = journal([
      ...consortium,
      line({ type: "DEPLOYMENT_EXECUTION_STATE_INITIALIZE", futureId: "SettlementLayer#SettlementToken" }),
    ]);
    expect(await repairJournal(file)).to.deep.equal([
      "SettlementLayer#SettlementToken had not sent anything yet and starts again",
    ]);
    expect(readFileSync(file, "utf8")).to.equal(consortium.map((l) => `${l}\n`).join(""));
  });

  it("drops a last line cut off mid-write", async function () {
    const file = journal(consortium, '{"type":"DEPLOYMENT_EXECUTION_STATE_INI');
    expect(await repairJournal(file)).to.deep.equal([
      "dropped the journal's last line, cut off when the deployment was killed",
    ]);
    expect(readFileSync(file, "utf8")).to.equal(consortium.map((l) => `${l}\n`).join(""));
  });

  it("leaves a journal alone that Ignition can resume from, and a missing one", async function () {
    const file = journal(consortium);
    expect(await repairJournal(file)).to.deep.equal([]);
    expect(readFileSync(file, "utf8")).to.equal(consortium.map((l) => `${l}\n`).join(""));
    expect(await repairJournal(join(tmpdir(), "no-such-deployment", "journal.jsonl"))).to.deep.equal([]);
  });

  it("refuses a journal that is corrupt before its last line", async function () {
    const file = journal([consortium[0]!, "{not json", ...consortium.slice(1)]);
    await repairJournal(file).then(
      () => expect.fail("a corrupt journal was accepted"),
      (error: Error) => expect(error.message).to.contain("is corrupt at line 2"),
    );
  });
});

/** A real deployment of the whole system on the in-process network, journaled in a directory of its own. */
async function journaledDeployment() {
  const connection = await network.create();
  const provider = connection.provider as unknown as EIP1193Provider;
  const accounts = (await connection.provider.request({ method: "eth_accounts" })) as string[];
  const parameters = JSON.parse(await readFile(parametersFileFor("default"), "utf8")) as DeploymentParameters;
  const artifactResolver: ArtifactResolver = {
    loadArtifact: async (name) => (await hre.artifacts.readArtifact(name)) as unknown as Artifact,
    getBuildInfo: async () => undefined,
  };
  const dir = mkdtempSync(join(tmpdir(), "deployment-"));
  const run = async () => {
    const result = await deploy({
      provider,
      deploymentDir: dir,
      artifactResolver,
      ignitionModule: CapacityMarketModule,
      deploymentParameters: parameters,
      accounts,
      config: { requiredConfirmations: 1 },
    });
    if (result.type !== DeploymentResultType.SUCCESSFUL_DEPLOYMENT) {
      throw new Error(`the deployment ended ${result.type}`);
    }
    return Object.fromEntries(Object.entries(result.contracts).map(([key, { address }]) => [key, address]));
  };
  return { connection, provider, dir, file: join(dir, "journal.jsonl"), run };
}

/** Cuts the journal right after its `which` TRANSACTION_PREPARE_SEND record, as a kill there leaves it. */
function cutAfterPrepareSend(file: string, which: "first" | "last"): { nonce: number; hash: string } {
  const lines = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "");
  const prepares = lines.flatMap((l, i) => (l.includes('"type":"TRANSACTION_PREPARE_SEND"') ? [i] : []));
  const at = which === "first" ? prepares[0]! : prepares.at(-1)!;
  const prepared = JSON.parse(lines[at]!) as { futureId: string; nonce: number };
  const sent = lines
    .map((l) => JSON.parse(l) as { type: string; futureId: string; transaction?: { hash: string } })
    .find((r) => r.type === "TRANSACTION_SEND" && r.futureId === prepared.futureId)!;
  writeFileSync(
    file,
    lines
      .slice(0, at + 1)
      .map((l) => `${l}\n`)
      .join(""),
  );
  return { nonce: prepared.nonce, hash: sent.transaction!.hash };
}

describe("resuming a deployment killed between sending a transaction and journaling it", function () {
  this.timeout(120_000);

  it("finds the transaction the node received, records it, and completes with the same addresses", async function () {
    const { provider, file, run } = await journaledDeployment();
    const first = await run();
    const { nonce, hash } = cutAfterPrepareSend(file, "last");
    expect((await unrecordedSends(file)).map((send) => send.nonce)).to.deep.equal([nonce]);

    await run().then(
      () => expect.fail("Ignition resumed a journal with an unrecorded transaction on its own"),
      (error: Error) => expect(error.message).to.contain("track-tx"),
    );
    const done = await recoverUnrecordedSends(file, provider, { requiredConfirmations: 1 });
    expect(done).to.have.length(1);
    expect(done[0]).to.match(new RegExp(`nonce ${nonce} from 0x[0-9a-fA-F]{40}\\) had reached the node`));
    expect(done[0]).to.contain(hash);
    expect(await unrecordedSends(file)).to.deep.equal([]);
    expect(await run()).to.deep.equal(first);
    expect(await recoverUnrecordedSends(file, provider, { requiredConfirmations: 1 })).to.deep.equal([]);
  });

  it("releases the nonce of a transaction that never reached the node, and sends it afresh", async function () {
    const { connection, provider, file, run } = await journaledDeployment();
    const before = await connection.provider.request({ method: "evm_snapshot" });
    const first = await run();
    await connection.provider.request({ method: "evm_revert", params: [before] });
    cutAfterPrepareSend(file, "first");
    await run().then(
      () => expect.fail("Ignition resumed a journal with an unrecorded transaction on its own"),
      (error: Error) => expect(error.message).to.contain("track-tx"),
    );

    const done = await recoverUnrecordedSends(file, provider, { requiredConfirmations: 1 });
    expect(done).to.have.length(1);
    expect(done[0]).to.match(/\(nonce 0 from 0x[0-9a-fA-F]{40}\) never reached the node and is sent again$/);
    expect(readFileSync(file, "utf8")).to.match(/"type":"ONCHAIN_INTERACTION_REPLACED_BY_USER"}\n$/);
    expect(await run()).to.deep.equal(first);
  });
});

describe("finding a transaction by its sender and nonce", function () {
  this.timeout(60_000);

  async function chainWithTransfers(count: number) {
    const connection = await network.create();
    const client = createPublicClient({ transport: custom(connection.provider) });
    const [from, to] = (await connection.provider.request({ method: "eth_accounts" })) as Address[];
    const send = async () =>
      (await connection.provider.request({
        method: "eth_sendTransaction",
        params: [{ from, to, value: "0x1" }],
      })) as Hash;
    const hashes: Hash[] = [];
    for (let i = 0; i < count; i++) {
      hashes.push(await send());
      await connection.provider.request({ method: "hardhat_mine", params: ["0x3"] });
    }
    return { connection, client, from: getAddress(from!), send, hashes };
  }

  it("bisects the sender's nonce over the blocks", async function () {
    const { client, from, hashes } = await chainWithTransfers(6);
    for (const [nonce, hash] of hashes.entries()) {
      expect(await findTransactionByNonce(client, from, nonce, 0n)).to.equal(hash);
    }
  });

  it("reads the blocks one by one on a node that keeps no state for past blocks", async function () {
    const { connection, from, hashes } = await chainWithTransfers(5);
    const pruned = {
      async request(args: { method: string; params?: unknown[] }) {
        if (args.method === "eth_getTransactionCount") {
          const latest = await connection.provider.request({ method: "eth_blockNumber" });
          if (args.params?.[1] !== latest) throw new Error("missing trie node (state pruned)");
        }
        return connection.provider.request(args as never);
      },
    };
    const client = createPublicClient({ transport: custom(pruned) });
    expect(await findTransactionByNonce(client, from, 2, 0n)).to.equal(hashes[2]);
    await findTransactionByNonce(client, from, 0, 0n, { maxBlocksToScan: 4 }).then(
      () => expect.fail("found a transaction outside the blocks it may read"),
      (error: Error) => expect(error.message).to.match(/Cannot find the transaction with nonce 0 .* track-tx/),
    );
  });

  it("waits for a transaction still in the node's pool, and gives up after its timeout", async function () {
    const { connection, client, from, send } = await chainWithTransfers(1);
    await connection.provider.request({ method: "evm_setAutomine", params: [false] });
    const pending = await send();
    await findTransactionByNonce(client, from, 1, 0n, { timeoutMs: 100, pollIntervalMs: 20 }).then(
      () => expect.fail("found a transaction that is not mined"),
      (error: Error) => expect(error.message).to.contain("nonce 1 from " + from + " is still not mined after 0.1 s"),
    );
    const found = findTransactionByNonce(client, from, 1, 0n, { pollIntervalMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await connection.provider.request({ method: "evm_mine" });
    expect(await found).to.equal(pending);
  });
});

describe("reading what a journal prepared but did not record as sent", function () {
  const sender = "0x00000000000000000000000000000000000000aa";
  const other = "0x00000000000000000000000000000000000000bb";
  const init = (futureId: string, from: string) =>
    line({ type: "DEPLOYMENT_EXECUTION_STATE_INITIALIZE", futureId, from });
  const prepare = (futureId: string, nonce: number) =>
    line({ type: "TRANSACTION_PREPARE_SEND", futureId, networkInteractionId: 1, nonce });
  const sent = (futureId: string) => line({ type: "TRANSACTION_SEND", futureId, networkInteractionId: 1 });
  const confirm = (futureId: string, blockNumber: number) =>
    line({ type: "TRANSACTION_CONFIRM", futureId, networkInteractionId: 1, receipt: { blockNumber } });

  it("starts looking after the last confirmed transaction of the same sender", async function () {
    const file = journal([
      init("M#A", sender),
      prepare("M#A", 0),
      sent("M#A"),
      confirm("M#A", 7),
      init("M#B", other),
      prepare("M#B", 0),
      sent("M#B"),
      confirm("M#B", 9),
      init("M#C", sender),
      prepare("M#C", 1),
    ]);
    expect(await unrecordedSends(file)).to.deep.equal([
      { futureId: "M#C", networkInteractionId: 1, from: getAddress(sender), nonce: 1, fromBlock: 7n },
    ]);
  });

  it("counts a transaction as recorded once it is sent or its nonce released", async function () {
    const released = line({ type: "ONCHAIN_INTERACTION_REPLACED_BY_USER", futureId: "M#B", networkInteractionId: 1 });
    const file = journal([
      init("M#A", sender),
      prepare("M#A", 0),
      sent("M#A"),
      init("M#B", sender),
      prepare("M#B", 1),
      released,
    ]);
    expect(await unrecordedSends(file)).to.deep.equal([]);
    expect(await unrecordedSends(join(tmpdir(), "no-such-deployment", "journal.jsonl"))).to.deep.equal([]);
  });

  it("refuses a prepared transaction of a future the journal never initialised", async function () {
    const file = journal([prepare("M#A", 0)]);
    await unrecordedSends(file).then(
      () => expect.fail("accepted"),
      (error: Error) => expect(error.message).to.contain("prepares a transaction for M#A it never initialised"),
    );
  });
});
