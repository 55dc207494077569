/*
system.tree: verifySystem checks a deployment's addresses once, when a system is connected.

verifySystem
├── with a complete deployment's addresses ─────────── passes, in one request
├── with a settlement layer's addresses alone ──────── passes (checks only what is given)
├── with an address where nothing is deployed ──────── SystemAddressError: "No contract at", the contract, the
│                                                      address, the chain; and the contracts wired to it
├── with two addresses swapped ─────────────────────── SystemAddressError: each "does not answer as" its contract
├── with an address from another deployment ───────── SystemAddressError: each contract wired to it "mix(es) two
│                                                      deployments"
└── on a chain without the deployment ──────────────── SystemAddressError naming all eight, and what to do
*/
import { expect } from "chai";
import { network } from "hardhat";
import { getAddress, type Address } from "viem";

import { viemChain, type ViemChain } from "../../src/chain/hardhat.js";
import type { MarketAddresses } from "../../src/chain/transact.js";
import { SystemAddressError, verifySystem } from "../../src/contracts/system.js";
import { marketFixture, settlementLayerFixture, type MarketFixture } from "../helpers/fixtures.js";
import { countedChain } from "../helpers/requests.js";

const connection = await network.create();
const deployMarket = marketFixture(connection);
const deployLayer = settlementLayerFixture(connection);

/** A deployment, and the token of a second settlement layer deployed beside it. */
async function twoDeployments() {
  const f = await deployMarket();
  const other = await deployLayer();
  return { f, otherToken: getAddress(await other.token.getAddress()) };
}

async function addressesOf(f: MarketFixture): Promise<MarketAddresses> {
  const at = async (contract: { getAddress(): Promise<string> }): Promise<Address> =>
    getAddress(await contract.getAddress());
  return {
    consortium: await at(f.consortium),
    token: await at(f.token),
    gateway: await at(f.gateway),
    licenseRegistry: await at(f.licenses),
    machineRegistry: await at(f.machines),
    usageMeter: await at(f.meter),
    readingVerifier: await at(f.verifier),
    paymentChannels: await at(f.channels),
  };
}

/** The problems verifySystem found, as [contract, message] pairs; fails if it found none. */
async function problemsOf(chain: ViemChain, addresses: Partial<MarketAddresses>, source?: string) {
  const error = await verifySystem(chain.publicClient, addresses, source).then(
    () => expect.fail("verifySystem accepted the addresses"),
    (e: unknown) => e,
  );
  expect(error).to.be.instanceOf(SystemAddressError);
  return { error: error as SystemAddressError, problems: (error as SystemAddressError).problems };
}

describe("verifySystem (src/contracts/system.ts)", function () {
  let f: MarketFixture;
  let otherToken: Address;
  let chain: ViemChain;
  let addresses: MarketAddresses;

  beforeEach(async function () {
    ({ f, otherToken } = await connection.networkHelpers.loadFixture(twoDeployments));
    chain = await viemChain(connection);
    addresses = await addressesOf(f);
  });

  describe("with a complete deployment's addresses", function () {
    it("passes, in one request", async function () {
      const counted = await countedChain(connection);
      await verifySystem(counted.chain.publicClient, addresses);
      expect(counted.requests()).to.deep.equal(["eth_call"]);
    });
  });

  describe("with a settlement layer's addresses alone", function () {
    it("passes", async function () {
      const { consortium, token, gateway } = addresses;
      await verifySystem(chain.publicClient, { consortium, token, gateway });
    });
  });

  describe("with an address where nothing is deployed", function () {
    it("names the contract, the address and the chain, and the contracts wired to it", async function () {
      const nobody = getAddress(f.outsider.address);
      const { error, problems } = await problemsOf(chain, { ...addresses, usageMeter: nobody }, "deployment.json");
      expect(problems.map(({ contract, address }) => [contract, address])).to.deep.equal([
        ["usageMeter", nobody],
        ["readingVerifier", addresses.readingVerifier],
      ]);
      expect(problems[0]!.problem).to.equal(
        `No contract at ${nobody} (the UsageMeter in deployment.json): nothing is deployed there on chain 31337.`,
      );
      expect(problems[1]!.problem).to.equal(
        `The ReadingVerifier at ${addresses.readingVerifier} works with the UsageMeter at ${addresses.usageMeter}, ` +
          `but the UsageMeter in deployment.json is ${nobody}: they mix two deployments.`,
      );
      expect(error.message.split("\n").at(-1)).to.match(/^Use the addresses of the deployment on chain 31337/);
    });
  });

  describe("with two addresses swapped", function () {
    it("says that each does not answer as its contract", async function () {
      const swapped = {
        ...addresses,
        licenseRegistry: addresses.machineRegistry,
        machineRegistry: addresses.licenseRegistry,
      };
      const { problems } = await problemsOf(chain, swapped);
      expect(problems.map(({ contract }) => contract)).to.deep.equal([
        "licenseRegistry",
        "machineRegistry",
        "usageMeter",
      ]);
      expect(problems[0]!.problem).to.equal(
        `The contract at ${addresses.machineRegistry} (the LicenseRegistry in the addresses) does not answer as the ` +
          "LicenseRegistry (licenseCount() failed): another contract is deployed there.",
      );
      expect(problems[1]!.problem).to.contain("does not answer as the MachineRegistry (licenseRegistry() failed)");
      expect(problems[2]!.problem).to.contain(`works with the MachineRegistry at ${addresses.machineRegistry}`);
    });
  });

  describe("with an address from another deployment", function () {
    it("says that each contract wired to it mixes two deployments", async function () {
      const { problems } = await problemsOf(chain, { ...addresses, token: otherToken });
      expect(problems.map(({ contract }) => contract)).to.deep.equal([
        "consortium",
        "token",
        "token",
        "usageMeter",
        "paymentChannels",
      ]);
      for (const { problem } of problems) expect(problem).to.match(/mix two deployments\.$/);
      expect(problems[1]!.problem).to.contain(`The SettlementToken at ${otherToken} works with the FiatGateway at`);
    });
  });

  describe("on a chain without the deployment", function () {
    it("names all eight contracts, and what to do", async function () {
      const empty = await network.create();
      const { error, problems } = await problemsOf(await viemChain(empty), addresses);
      expect(problems).to.have.length(8);
      for (const { problem } of problems)
        expect(problem).to.match(/^No contract at 0x[0-9a-fA-F]{40} \(the \w+ in the addresses\)/);
      expect(error.message).to.contain("or connect to the chain it was deployed on.");
      await empty.close();
    });
  });
});
