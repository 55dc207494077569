/**
 * An escrowed order on an out-of-process node (anvil), ready for the device agent and the gateway process:
 * the settlement layer, the registries and the UsageMeter (linked to its MeterLedger library) deployed with
 * viem from Hardhat's artifacts and wired as ignition/modules wires them, a provider with a laser that has a
 * device key and an inspector key, a consumer with minted tokens and an order on the laser, and a relayer
 * account with ether for the gateway. Every key derives from `seed`, so a run can be repeated.
 */
import { createTestClient, http, keccak256, stringToHex, type Address, type Hex, type TestClient } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

import { rpcChain, type RpcChain } from "../../src/chain/rpc.js";
import { KeyKind } from "../../src/core/listing.js";
import { MarketRegistry } from "../../src/contracts/registries.js";
import { UsageMeterClient } from "../../src/contracts/meter.js";
import type { MeterDomain } from "../../src/core/report.js";
import { parseEuro } from "../../src/core/money.js";
import type { Wallet } from "../../src/chain/transact.js";
import { AgentProcess } from "./agent-process.js";
import { startAnvil, type Anvil } from "./anvil.js";
import { deployArtifact, deployRpcMarket } from "./rpc-deploy.js";
import { sampleProfile, sampleTariff } from "./registry.js";

export const BUDGET = parseEuro("5000");

export interface RpcOrder {
  chain: RpcChain;
  test: TestClient<"anvil">;
  addresses: { usageMeter: Address; machineRegistry: Address; token: Address };
  domain: MeterDomain;
  meter: UsageMeterClient;
  relayerKey: Hex;
  device: PrivateKeyAccount;
  inspector: PrivateKeyAccount;
  /** The private keys of `device` and `inspector`, for agents run as processes. */
  deviceKey: Hex;
  inspectorKey: Hex;
  orderId: bigint;
  /** Every order opened (`orderId` is the first). */
  orderIds: bigint[];
  /** When the last order opened: periods of every order may start from then. */
  openedAt: number;
}

/** Deploys and opens `orders` orders on the laser, sharing the consumer's budget. */
export async function rpcOrder(url: string, seed: number, orders = 1): Promise<RpcOrder> {
  const chain = await rpcChain(url, { pollingMs: 50 });
  const test = createTestClient({ mode: "anvil", transport: http(url) });
  const keyOf = (label: string) => keccak256(stringToHex(`gateway kill test, seed ${seed}: ${label}`));
  const party = async (label: string): Promise<Wallet> => {
    const wallet = chain.wallet(keyOf(label));
    await test.setBalance({ address: wallet.account.address, value: 10n ** 21n });
    return wallet;
  };
  const op = await party("operator");
  const auditor = await party("auditor");
  const provider = await party("provider");
  const consumer = await party("consumer");
  const relayer = await party("relayer");
  const device = privateKeyToAccount(keyOf("device"));
  const inspector = privateKeyToAccount(keyOf("inspector"));

  const {
    token,
    licenseRegistry,
    machineRegistry,
    product: usageMeter,
    layer,
  } = await deployRpcMarket(
    chain,
    { operator: op, auditor, provider, consumer },
    async ({ consortium, token, machineRegistry }) =>
      deployArtifact(chain, op, "UsageMeter", [consortium, token, machineRegistry, 3600], {
        MeterLedger: await deployArtifact(chain, op, "MeterLedger", []),
      }),
    {
      amount: BUDGET,
      reserveReport: "reserve report, gateway kill test",
      deposit: `deposit of the consumer, seed ${seed}`,
    },
  );

  const market = new MarketRegistry(chain, { ...layer.addresses, licenseRegistry, machineRegistry });
  const machineId = await market.registerMachine(
    provider,
    sampleProfile(),
    [device.address],
    sampleTariff({ minimumCharge: 0n }),
  );
  await market.addKey(provider, machineId, inspector.address, KeyKind.Inspector);
  const meter = new UsageMeterClient(chain, { token, usageMeter, readingVerifier: usageMeter });
  const now = Number((await chain.publicClient.getBlock()).timestamp);
  const orderIds: bigint[] = [];
  for (let i = 0; i < orders; i++) {
    const { orderId } = await meter.openOrder(consumer, {
      machineId,
      tariffVersion: 1,
      budget: BUDGET / BigInt(orders),
      expiresAt: now + 30 * 86400,
      disputeWindow: 3600,
      licenseVersions: [],
    });
    orderIds.push(orderId);
  }
  // The last order's opening: no period of any order may start earlier.
  const openedAt = Number((await meter.order(orderIds.at(-1)!)).openedAt);
  return {
    chain,
    test,
    addresses: { usageMeter, machineRegistry, token },
    domain: { chainId: chain.chainId, meter: usageMeter },
    meter,
    relayerKey: keyOf("relayer"),
    device,
    inspector,
    deviceKey: keyOf("device"),
    inspectorKey: keyOf("inspector"),
    orderId: orderIds[0]!,
    orderIds,
    openedAt,
  };
}

/**
 * `rpcOrder` on a fresh anvil on loopback: set up with instant mining, then a block a second, as on a real
 * chain. Without the code size limit: `npm run coverage` deploys instrumented bytecode, larger than what ships.
 */
export async function rpcOrderOnAnvil(seed: number, orders = 1): Promise<{ anvil: Anvil; o: RpcOrder }> {
  const anvil = await startAnvil(["--hardfork", "prague", "--disable-code-size-limit"]);
  try {
    const o = await rpcOrder(anvil.url, seed, orders);
    await o.test.setAutomine(false);
    await o.test.setIntervalMining({ interval: 1 });
    return { anvil, o };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}

/** scripts/gateway.ts as a process on the order's meter (it reads the registry from the meter). */
export function gatewayProcess(
  o: RpcOrder,
  rpcUrl: string,
  options: { store: string; port: number; depth: number; intervalMs: number; clockTolerance?: number },
): AgentProcess {
  return new AgentProcess(
    "gateway",
    "scripts/gateway.ts",
    () => [
      ...["--rpc-url", rpcUrl, "--meter", o.addresses.usageMeter, "--store", options.store],
      ...[
        "--port",
        String(options.port),
        "--depth",
        String(options.depth),
        "--interval-ms",
        String(options.intervalMs),
      ],
      ...(options.clockTolerance === undefined ? [] : ["--clock-tolerance", String(options.clockTolerance)]),
    ],
    { GATEWAY_RELAYER_KEY: o.relayerKey },
  );
}
