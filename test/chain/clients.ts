/*
clients.tree: chainClients builds the clients of one chain, however it is reached.

chainClients
├── over a Hardhat connection and over a node's URL ── the same shape: chain id, network name, accounts,
│                                                      confirmations, a public client and wallets
├── when the node is of another chain than configured ─ WrongChainError naming both ids
├── when the node offers no eth_accounts ─────────────── no accounts (a node that keeps no keys)
├── wallet(signer)
│   ├── an address ───────────────────────────────────── the node signs
│   ├── a LocalAccount or a private key ─────────────── signed here
│   └── anything else ───────────────────────────────── an error naming the sizes it takes
└── gas price policy (config/networks.ts)
    ├── "zero" (free-gas PoA) ───────────────────────── keys without ether transact, at price 0
    ├── a fixed price ───────────────────────────────── transactions pay that price
    └── "auto" ──────────────────────────────────────── viem asks the node
*/
import { expect } from "chai";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import { custom, type EIP1193Provider, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { chainClients, networkSettings, WrongChainError, type ChainClients } from "../../src/chain/clients.js";
import { viemChain } from "../../src/chain/hardhat.js";
import { rpcChain } from "../../src/chain/rpc.js";
import { startAnvil } from "../helpers/anvil.js";

const transportOf = (connection: NetworkConnection) =>
  custom(connection.provider as unknown as EIP1193Provider, { retryCount: 0 });

/** A transfer of nothing to itself, signed by `signer`; its receipt. */
async function selfTransfer(chain: ChainClients, signer: Parameters<ChainClients["wallet"]>[0]) {
  const wallet = chain.wallet(signer);
  const hash = await wallet.sendTransaction({ to: wallet.account.address, value: 0n, chain: wallet.chain });
  return chain.publicClient.waitForTransactionReceipt({ hash });
}

describe("chainClients (src/chain/clients.ts)", function () {
  let connection: NetworkConnection;
  let chain: ChainClients;

  before(async function () {
    connection = await network.create();
    chain = await viemChain(connection);
  });

  describe("over a Hardhat connection and over a node's URL", function () {
    it("gives the same shape", async function () {
      const anvil = await startAnvil();
      try {
        const overRpc = await rpcChain(anvil.url, { pollingMs: 50 });
        for (const clients of [chain, overRpc]) {
          expect(clients.chainId).to.equal(31337);
          expect(clients.publicClient.chain?.id).to.equal(31337);
          expect(clients.confirmations).to.equal(1);
          expect(clients.accounts).to.have.length.greaterThan(0);
          const receipt = await selfTransfer(clients, clients.accounts[0]!);
          expect(receipt.status).to.equal("success");
        }
        expect([chain.networkName, overRpc.networkName]).to.deep.equal(["default", "chain 31337"]);
        expect(overRpc.url).to.equal(anvil.url);
      } finally {
        await anvil.stop();
      }
    });
  });

  describe("when the node is of another chain than configured", function () {
    it("throws a WrongChainError naming both ids", async function () {
      const error = await chainClients(transportOf(connection), { networkName: "poa", chainId: 2026 }).catch(
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(WrongChainError);
      expect((error as WrongChainError).message).to.match(
        /^The node of network "poa" is chain 31337, but the network is configured for chain 2026/,
      );
    });
  });

  describe("when the node offers no eth_accounts", function () {
    it("has no accounts", async function () {
      const keyless = custom(
        {
          request: async ({ method, params }: { method: string; params?: unknown[] | object }) => {
            if (method === "eth_accounts") throw new Error("the method eth_accounts does not exist");
            return connection.provider.request({ method, params });
          },
        },
        { retryCount: 0 },
      );
      expect((await chainClients(keyless)).accounts).to.deep.equal([]);
    });
  });

  describe("wallet(signer)", function () {
    it("lets the node sign for an address, and signs here with a LocalAccount or a private key", async function () {
      const key = generatePrivateKey();
      const local = privateKeyToAccount(key);
      await connection.networkHelpers.setBalance(local.address, 10n ** 18n);
      expect(chain.wallet(chain.accounts[1]!).account).to.include({ address: chain.accounts[1], type: "json-rpc" });
      expect(chain.wallet(local).account).to.include({ address: local.address, type: "local" });
      expect(chain.wallet(key).account).to.include({ address: local.address, type: "local" });
      expect((await selfTransfer(chain, key)).from).to.equal(local.address.toLowerCase());
    });

    it("refuses anything else, naming the sizes it takes", function () {
      expect(() => chain.wallet("0x1234" as Hex)).to.throw(
        "A wallet needs an account's address (20 bytes) or a private key (32 bytes), not 2 bytes of hex.",
      );
    });
  });

  describe("gas price policy", function () {
    let paris: NetworkConnection;

    before(async function () {
      paris = await network.create("poaSim");
    });

    after(async function () {
      await paris.close();
    });

    it('"zero": a key without ether transacts, at price 0', async function () {
      const free = await viemChain(paris);
      expect(networkSettings("poaSim").gasPrice).to.equal("zero");
      const key = generatePrivateKey();
      const receipt = await selfTransfer(free, key);
      expect([receipt.status, receipt.effectiveGasPrice]).to.deep.equal(["success", 0n]);
      // Asking the node, the same key is refused: it has nothing to pay a tip with.
      const asking = await chainClients(transportOf(paris), { ...networkSettings("poaSim"), gasPrice: "auto" });
      expect(await selfTransfer(asking, key).catch((e: unknown) => String(e))).to.match(/insufficient funds|balance/i);
    });

    it("a fixed price: transactions pay that price", async function () {
      const fixed = await chainClients(transportOf(paris), { ...networkSettings("poaSim"), gasPrice: 7n });
      const key = generatePrivateKey();
      await paris.networkHelpers.setBalance(privateKeyToAccount(key).address, 10n ** 18n);
      expect((await selfTransfer(fixed, key)).effectiveGasPrice).to.equal(7n);
    });

    it('"auto": viem asks the node, which charges the base fee and a tip', async function () {
      const key = generatePrivateKey();
      await connection.networkHelpers.setBalance(privateKeyToAccount(key).address, 10n ** 18n);
      expect(networkSettings("default").gasPrice).to.equal("auto");
      expect((await selfTransfer(chain, key)).effectiveGasPrice).to.be.greaterThan(0n);
    });
  });
});
