/**
 * The deployment's addresses file, as scripts/ops.ts, scripts/payout.ts and scripts/gateway.ts read it: its
 * addresses in either form, and the block event queries start at (the file's own, else the first block of
 * an Ignition deployment by the journal beside it, else 0).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";

import { readAddressesFile } from "../../src/cli/connect.js";
import { renderAddresses } from "../../deploy/deploy.js";

const ADDRESS = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const IGNITION = {
  "SettlementLayer#Consortium": ADDRESS(1),
  "SettlementLayer#SettlementToken": ADDRESS(2),
  "SettlementLayer#FiatGateway": ADDRESS(3),
  "CapacityMarket#LicenseRegistry": ADDRESS(4),
  "CapacityMarket#MachineRegistry": ADDRESS(5),
  "CapacityMarket#UsageMeter": ADDRESS(6),
  "CapacityMarket#ReadingVerifier": ADDRESS(7),
  "CapacityMarket#PaymentChannels": ADDRESS(8),
};
const confirmed = (futureId: string, blockNumber: number) =>
  JSON.stringify({ type: "TRANSACTION_CONFIRM", futureId, networkInteractionId: 1, receipt: { blockNumber } });

function deploymentDir(addresses: Record<string, unknown>, journal?: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "addresses-"));
  writeFileSync(join(dir, "deployed_addresses.json"), JSON.stringify(addresses));
  if (journal !== undefined) writeFileSync(join(dir, "journal.jsonl"), journal.map((l) => `${l}\n`).join(""));
  return join(dir, "deployed_addresses.json");
}

describe("reading a deployment's addresses file", function () {
  it("starts an Ignition deployment's events at its first confirmed block, by the journal beside it", async function () {
    const file = deploymentDir(IGNITION, [
      JSON.stringify({ type: "DEPLOYMENT_INITIALIZE", chainId: 1337 }),
      confirmed("CapacityMarket#MeterLedger", 4120),
      confirmed("SettlementLayer#Consortium", 4117),
      confirmed("CapacityMarket#registerUsageMeter", 4131),
    ]);
    const { addresses, fromBlock } = await readAddressesFile(file);
    expect(fromBlock).to.equal(4117n);
    expect(addresses.usageMeter).to.equal(ADDRESS(6));
    expect(addresses.paymentChannels).to.equal(ADDRESS(8));
  });

  it("keeps the file's own fromBlock, and starts at 0 when neither the file nor a journal says", async function () {
    const own = deploymentDir({ ...IGNITION, fromBlock: 77 }, [confirmed("SettlementLayer#Consortium", 4117)]);
    expect((await readAddressesFile(own)).fromBlock).to.equal(77n);
    expect((await readAddressesFile(deploymentDir(IGNITION))).fromBlock).to.equal(0n);
    expect((await readAddressesFile(deploymentDir(IGNITION, []))).fromBlock).to.equal(0n);
  });

  it("says which file it cannot read", async function () {
    await readAddressesFile(join(tmpdir(), "no-such-deployment", "deployed_addresses.json")).then(
      () => expect.fail("read a file that is not there"),
      (error: Error) => expect(error.message).to.match(/^Cannot read the addresses file .*no-such-deployment/),
    );
  });

  it("is the file a deployment on a node prints the OPS_ADDRESSES line for", async function () {
    const file = deploymentDir(IGNITION, [confirmed("SettlementLayer#Consortium", 12)]);
    const { addresses } = await readAddressesFile(file);
    const printed = renderAddresses(addresses, file);
    const [, exported] = /^ {2}export OPS_ADDRESSES=(\S+)$/m.exec(printed) ?? [];
    expect(exported).to.equal(file);
    expect((await readAddressesFile(exported!)).addresses).to.deep.equal(addresses);
    expect(renderAddresses(addresses)).to.not.include("OPS_ADDRESSES");
    const spaced = renderAddresses(addresses, "/tmp/my deployments/deployed_addresses.json");
    expect(spaced).to.include("export OPS_ADDRESSES='/tmp/my deployments/deployed_addresses.json'");
  });
});
