/*
events.tree: contractEvents reads a contract's history in pages of blocks.

contractEvents
├── on a chain with events in many blocks ─────── the same logs, in chain order, as one eth_getLogs call,
│   whatever the page size (1 block, 2, 3, more than the chain)
├── with args (indexed filters) and an explicit toBlock ── only those logs, only up to that block
├── when the node refuses a page as too large ──── halves the page until the node answers; nothing lost
├── when the node fails otherwise ──────────────── the error reaches the caller (no silent gap)
└── with a page size below one block ───────────── RangeError naming the value
*/
import { expect } from "chai";
import { network } from "hardhat";
import { getAddress, type Address, type PublicClient } from "viem";

import { viemChain, type ViemChain } from "../../src/chain/hardhat.js";
import { fiatGatewayAbi } from "../../src/generated/abis.js";
import { contractEvents } from "../../src/chain/events.js";
import { mintTo, settlementLayerFixture, type SettlementLayerFixture } from "../helpers/fixtures.js";

const connection = await network.create();
const fixture = settlementLayerFixture(connection);

/** A client whose eth_getLogs refuses ranges of more than `cap` blocks (as Besu's --rpc-max-logs-range does). */
function capped(client: PublicClient, cap: bigint, calls: [bigint, bigint][]): PublicClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== "getContractEvents") return Reflect.get(target, property, receiver);
      return async (parameters: { fromBlock: bigint; toBlock: bigint }) => {
        calls.push([parameters.fromBlock, parameters.toBlock]);
        if (parameters.toBlock - parameters.fromBlock + 1n > cap) {
          throw new Error(`Requested range exceeds maximum RPC range limit of ${cap}`);
        }
        return target.getContractEvents(parameters as Parameters<PublicClient["getContractEvents"]>[0]);
      };
    },
  });
}

describe("contractEvents (paged eth_getLogs)", function () {
  let f: SettlementLayerFixture;
  let chain: ViemChain;
  let gateway: Address;
  let first: bigint;
  let recipients: Address[];

  beforeEach(async function () {
    f = await connection.networkHelpers.loadFixture(fixture);
    chain = await viemChain(connection);
    gateway = getAddress(await f.gateway.getAddress());
    first = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
    recipients = [
      f.consumer.address,
      f.provider.address,
      f.consumer.address,
      f.provider.address,
      f.consumer.address,
    ].map((a) => getAddress(a));
    // One mint per block, five blocks.
    for (const [i, to] of recipients.entries()) await mintTo(f, to, BigInt(1000 + i));
  });

  const direct = (args: object = {}) =>
    chain.publicClient.getContractEvents({
      address: gateway,
      abi: fiatGatewayAbi,
      eventName: "Minted",
      fromBlock: first,
      ...args,
    });

  it("returns the same logs in chain order as one call, whatever the page size", async function () {
    const all = await direct();
    expect(all.map((log) => log.args.amount)).to.deep.equal([1000n, 1001n, 1002n, 1003n, 1004n]);
    for (const page of [1n, 2n, 3n, 1000n]) {
      const paged = await contractEvents(
        chain.publicClient,
        { address: gateway, abi: fiatGatewayAbi, eventName: "Minted", fromBlock: first },
        page,
      );
      expect(
        paged.map((log) => [log.blockNumber, log.logIndex, log.args.amount]),
        `page ${page}`,
      ).to.deep.equal(all.map((log) => [log.blockNumber, log.logIndex, log.args.amount]));
    }
  });

  it("keeps indexed filters and stops at toBlock", async function () {
    const toBlock = first + 4n;
    const paged = await contractEvents(
      chain.publicClient,
      {
        address: gateway,
        abi: fiatGatewayAbi,
        eventName: "Minted",
        args: { to: getAddress(f.consumer.address) },
        fromBlock: first,
        toBlock,
        strict: true,
      },
      2n,
    );
    expect(paged.map((log) => log.args.amount)).to.deep.equal([1000n, 1002n]);
    expect(paged.every((log) => log.blockNumber <= toBlock)).to.equal(true);
  });

  it("halves a page the node refuses as too large, until it answers, and loses nothing", async function () {
    const calls: [bigint, bigint][] = [];
    const paged = await contractEvents(
      capped(chain.publicClient, 2n, calls),
      { address: gateway, abi: fiatGatewayAbi, eventName: "Minted", fromBlock: first },
      8n,
    );
    expect(paged.map((log) => log.args.amount)).to.deep.equal([1000n, 1001n, 1002n, 1003n, 1004n]);
    // 8 and 4 blocks refused, then pages of 2 answered.
    expect(calls.slice(0, 3).map(([from, to]) => Number(to - from + 1n))).to.deep.equal([6, 4, 2]);
    expect(calls.slice(2).every(([from, to]) => to - from + 1n <= 2n)).to.equal(true);
  });

  it("passes any other failure on, and refuses a page size below one block", async function () {
    const failing = new Proxy(chain.publicClient, {
      get(target, property, receiver) {
        if (property === "getContractEvents") return async () => Promise.reject(new Error("connection reset"));
        return Reflect.get(target, property, receiver);
      },
    });
    const parameters = { address: gateway, abi: fiatGatewayAbi, eventName: "Minted", fromBlock: first } as const;
    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => expect.fail("the call should have failed"),
        (error: unknown) => error as Error,
      );
    expect((await failure(contractEvents(failing, parameters))).message).to.equal("connection reset");
    const tooSmall = await failure(contractEvents(chain.publicClient, parameters, 0n));
    expect(tooSmall).to.be.instanceOf(RangeError);
    expect(tooSmall.message).to.include("at least 1");
  });
});
