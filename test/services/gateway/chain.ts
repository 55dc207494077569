/*
chain.tree: the gateway's chain reads (src/services/gateway/chain.ts) and what it keeps of them.

ContractChainView
├── G-05 when an unknown signer is asked about again and again ── one registry read for the TTL
├── G-05 when many distinct signers are asked about ── the key cache stays at its bound
├── an order ──────────────────────────────────────── with its opening time; both streams' last number and
│   period end from one meter read, kept for the TTL
└── the chain's time ──────────────────────────────── the latest block's, kept for clockTtlMs; read again when
    asked for a fresh one
*/
import { expect } from "chai";
import { getAddress, type PublicClient } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { ContractChainView } from "../../../src/services/gateway/chain.js";

/** A node whose registry knows no key, counting its reads. */
function emptyRegistry(): { client: PublicClient; reads: () => number } {
  let reads = 0;
  const readContract = async () => {
    reads += 1;
    return { machineId: 0n, validFrom: 0, validUntil: 0, kind: 0 };
  };
  return { client: { readContract } as unknown as PublicClient, reads: () => reads };
}

function view(client: PublicClient, maxEntries?: number): ContractChainView {
  const address = getAddress("0x0000000000000000000000000000000000000001");
  return new ContractChainView({ publicClient: client, machineRegistry: address, usageMeter: address, maxEntries });
}

describe("gateway chain reads", function () {
  describe("ContractChainView", function () {
    it("G-05 reads an unknown signer once for the TTL, however often it is asked about", async function () {
      const node = emptyRegistry();
      const chain = view(node.client);
      const stranger = privateKeyToAccount(generatePrivateKey()).address;
      const asks = Array.from({ length: 100 }, () => chain.signerKey(stranger));
      expect(await Promise.all(asks)).to.deep.equal(asks.map(() => undefined));
      expect(chain.signerKey(stranger)).to.equal(undefined);
      expect(node.reads()).to.equal(1);
    });

    it("G-05 keeps its key cache at its bound under many distinct signers", async function () {
      const node = emptyRegistry();
      const chain = view(node.client, 100);
      const signers = Array.from({ length: 1000 }, () => privateKeyToAccount(generatePrivateKey()).address);
      for (const signer of signers) await chain.signerKey(signer);
      expect(node.reads()).to.equal(1000);
      // The newest 100 are kept (answered at once, without a read); the first was dropped.
      for (const signer of signers.slice(-100)) expect(chain.signerKey(signer)).to.equal(undefined);
      expect(node.reads()).to.equal(1000);
      await chain.signerKey(signers[0]!);
      expect(node.reads()).to.equal(1001);
    });

    it("reads an order with its opening time, and both streams' last number and period end from one meter read", async function () {
      const reads: Record<string, number> = {};
      const readContract = async (call: { functionName: string }) => {
        reads[call.functionName] = (reads[call.functionName] ?? 0) + 1;
        if (call.functionName === "getOrder") {
          return { status: 1, machineId: 3n, expiresAt: 2000, licenseCount: 1, openedAt: 1000 };
        }
        return { deviceSequence: 7, inspectorSequence: 2, devicePeriodEnd: 1500, inspectorPeriodEnd: 1200 };
      };
      const chain = view({ readContract } as unknown as PublicClient);
      expect(await chain.order(5n)).to.deep.equal({
        machineId: 3n,
        expiresAt: 2000,
        open: true,
        licenseCount: 1,
        openedAt: 1000,
      });
      expect(await chain.stream(5n, 0)).to.deep.equal({ lastSequence: 7, periodEnd: 1500 });
      expect(chain.stream(5n, 1)).to.deep.equal({ lastSequence: 2, periodEnd: 1200 });
      expect(reads).to.deep.equal({ getOrder: 1, meterOf: 1 });
    });

    it("keeps the chain's time for clockTtlMs, and reads the latest block again when asked for a fresh one", async function () {
      let blocks = 0;
      const getBlock = async () => {
        blocks += 1;
        return { timestamp: BigInt(1000 + blocks) };
      };
      const address = getAddress("0x0000000000000000000000000000000000000001");
      const chain = new ContractChainView({
        publicClient: { getBlock } as unknown as PublicClient,
        machineRegistry: address,
        usageMeter: address,
        clockTtlMs: 60_000,
      });
      expect(await chain.chainTime()).to.equal(1001);
      expect(chain.chainTime()).to.equal(1001);
      expect(await chain.chainTime(true)).to.equal(1002);
      expect(chain.chainTime()).to.equal(1002);
      expect(blocks).to.equal(2);
    });
  });
});
