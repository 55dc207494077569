/**
 * scripts/lib/deploy.ts repairs what a killed deployment leaves at the end of Ignition's journal, so that
 * the next run resumes: a last line cut off mid-write, and futures initialised but killed before Ignition
 * recorded a transaction for them.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";

import { repairJournal } from "../../scripts/lib/deploy.js";

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
