/*
multicall.tree: readAll reads many calls at one block in few eth_calls, without a deployed Multicall3.

readAll
├── on the in-process network, which has no Multicall3 ───── deployless; the results in the calls' order
├── with more calls than fit one request ────────────────── one eth_call per callsPerRequest calls, sent
│                                                           together: one round trip
├── with no calls ───────────────────────────────────────── [] without a request
├── at a block ──────────────────────────────────────────── the state of that block
├── on a paris chain (no PUSH0), where nobody deployed it ─ the same results
├── when a call reverts ─────────────────────────────────── the call's error, decoded against its ABI
├── with callsPerRequest below 1 ────────────────────────── RangeError naming the value
└── on a chain that names a Multicall3 ─────────────────── calls that one (not deployless)
*/
import { expect } from "chai";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import {
  AbiDecodingZeroDataError,
  BaseError,
  ContractFunctionRevertedError,
  concatHex,
  createPublicClient,
  custom,
  getAddress,
  parseAbi,
  type Address,
  type Hex,
} from "viem";
import { mainnet } from "viem/chains";

import { viemChain, type ViemChain } from "../../src/chain/hardhat.js";
import { isDeployless, readAll } from "../../src/chain/multicall.js";
import { machineRegistryAbi } from "../../src/generated/abis.js";
import { marketFixture } from "../helpers/fixtures.js";
import { countedChain } from "../helpers/requests.js";

const MULTICALL3: Address = "0xcA11bde05977b3631167028862bE2a173976CA11";
const doubler = parseAbi(["function double(uint256 x) view returns (uint256)"]);

/**
 * A contract answering any call with twice its first argument (PUSH1 4 CALLDATALOAD PUSH1 2 MUL, returned),
 * written in opcodes that every EVM version has, so that it deploys on a paris chain too.
 */
const DOUBLER_RUNTIME: Hex = "0x60043560020260005260206000f3";
const DOUBLER_INIT: Hex = concatHex(["0x600e600c600039600e6000f3", DOUBLER_RUNTIME]);

async function deployDoubler(chain: ViemChain): Promise<Address> {
  const wallet = chain.wallet(chain.accounts[0]!);
  const hash = await wallet.sendTransaction({ data: DOUBLER_INIT, chain: wallet.chain });
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  return getAddress(receipt.contractAddress!);
}

const doubles = (address: Address, count: number) =>
  Array.from(
    { length: count },
    (_, i) => ({ address, abi: doubler, functionName: "double", args: [BigInt(i)] }) as const,
  );

describe("readAll (multicall reads)", function () {
  let connection: NetworkConnection;
  let chain: ViemChain;
  let doublerAt: Address;

  before(async function () {
    connection = await network.create();
    chain = await viemChain(connection);
    doublerAt = await deployDoubler(chain);
  });

  describe("on the in-process network, which has no Multicall3", function () {
    it("finds no code at Multicall3's canonical address, so it goes deployless", async function () {
      expect(await chain.publicClient.getCode({ address: MULTICALL3 })).to.equal(undefined);
      expect(isDeployless(chain.publicClient)).to.equal(true);
    });

    it("returns the results in the calls' order", async function () {
      expect(await readAll(chain.publicClient, doubles(doublerAt, 5))).to.deep.equal([0n, 2n, 4n, 6n, 8n]);
    });
  });

  describe("with more calls than fit one request", function () {
    it("sends one eth_call per callsPerRequest calls at once, and keeps the order", async function () {
      const counted = await countedChain(connection);
      const results = await readAll(counted.chain.publicClient, doubles(doublerAt, 250), { callsPerRequest: 100 });
      expect(results).to.deep.equal(Array.from({ length: 250 }, (_, i) => BigInt(2 * i)));
      expect(counted.requests()).to.deep.equal(["eth_call", "eth_call", "eth_call"]);
      expect(counted.roundTrips()).to.equal(1);
    });
  });

  describe("with no calls", function () {
    it("returns [] without a request", async function () {
      const counted = await countedChain(connection);
      expect(await readAll(counted.chain.publicClient, [])).to.deep.equal([]);
      expect(counted.requests()).to.deep.equal([]);
    });
  });

  describe("at a block", function () {
    it("reads the state of that block", async function () {
      const before = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
      const fresh = await deployDoubler(chain);
      const call = [{ address: fresh, abi: doubler, functionName: "double", args: [1n] }] as const;
      expect(await readAll(chain.publicClient, call)).to.deep.equal([2n]);
      // Before its deployment there was no code there: the call answered nothing to decode.
      const error = await readAll(chain.publicClient, call, { blockNumber: before }).catch((e: unknown) => e);
      expect((error as BaseError).walk((inner) => inner instanceof AbiDecodingZeroDataError)).to.be.instanceOf(
        AbiDecodingZeroDataError,
      );
    });
  });

  describe("on a paris chain (no PUSH0), where nobody deployed Multicall3", function () {
    it("gives the same results", async function () {
      const paris = await network.create("poaSim");
      const parisChain = await viemChain(paris);
      // The chain refuses PUSH0 (0x5f): code built for Shanghai or later would not run here.
      const push0 = await parisChain.publicClient.call({ data: "0x5f5ff3" }).catch((e: unknown) => e);
      expect(push0).to.be.instanceOf(BaseError);
      expect(await chain.publicClient.call({ data: "0x5f5ff3" })).to.deep.equal({ data: undefined });
      expect(await parisChain.publicClient.getCode({ address: MULTICALL3 })).to.equal(undefined);
      const at = await deployDoubler(parisChain);
      expect(await readAll(parisChain.publicClient, doubles(at, 3))).to.deep.equal([0n, 2n, 4n]);
      await paris.close();
    });
  });

  describe("when a call reverts", function () {
    it("throws the call's error, decoded against its ABI", async function () {
      const f = await connection.networkHelpers.loadFixture(marketFixture(connection));
      const registry = { address: getAddress(await f.machines.getAddress()), abi: machineRegistryAbi } as const;
      const error = await readAll(chain.publicClient, [
        { ...registry, functionName: "machineCount" },
        { ...registry, functionName: "tariffOf", args: [1n, 9] },
      ] as const).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(BaseError);
      const revert = (error as BaseError).walk((inner) => inner instanceof ContractFunctionRevertedError);
      expect((revert as ContractFunctionRevertedError).data?.errorName).to.equal("MachineRegistryUnknownMachine");
    });
  });

  describe("with callsPerRequest below 1", function () {
    it("throws a RangeError naming the value", async function () {
      expect(await readAll(chain.publicClient, doubles(doublerAt, 1), { callsPerRequest: 0 }).catch((e: unknown) => e))
        .to.be.instanceOf(RangeError)
        .with.property("message")
        .that.matches(/not 0/);
    });
  });

  describe("on a chain that names a Multicall3", function () {
    it("calls that one instead of going deployless", function () {
      const client = createPublicClient({ chain: mainnet, transport: custom({ request: async () => null }) });
      expect(isDeployless(client)).to.equal(false);
    });
  });
});
