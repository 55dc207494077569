/**
 * An escrowed order on an out-of-process node (anvil), ready for the device agent and the gateway process:
 * the settlement layer, the registries and the UsageMeter (linked to its MeterLedger library) deployed with
 * viem from Hardhat's artifacts and wired as ignition/modules wires them, a provider with a laser that has a
 * device key and an inspector key, a consumer with minted tokens and an order on the laser, and a relayer
 * account with ether for the gateway. Every key derives from `seed`, so a run can be repeated.
 */
import { artifacts } from "hardhat";
import {
  createTestClient,
  getAddress,
  http,
  keccak256,
  stringToHex,
  type Abi,
  type Address,
  type Hex,
  type TestClient,
} from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

import { rpcChain, type RpcChain } from "../../scripts/lib/rpc.js";
import { KeyKind } from "../../src/broker/listing.js";
import { MarketRegistry } from "../../src/broker/market.js";
import { consortiumAbi, settlementTokenAbi } from "../../src/generated/abis.js";
import { UsageMeterClient } from "../../src/metering/meter.js";
import type { MeterDomain } from "../../src/metering/report.js";
import { Role, roleMask } from "../../src/sdk/membership.js";
import { parseEuro } from "../../src/sdk/money.js";
import { referenceHash } from "../../src/sdk/references.js";
import { SettlementLayer } from "../../src/sdk/settlement.js";
import { transact, type Wallet } from "../../src/sdk/transact.js";
import { AGREEMENT_V1, FOUNDER_METADATA, NOTICE_PERIOD } from "./fixtures.js";
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
  openedAt: number;
}

async function deploy(
  chain: RpcChain,
  deployer: Wallet,
  name: string,
  args: readonly unknown[],
  libraries: Record<string, Address> = {},
): Promise<Address> {
  const artifact = await artifacts.readArtifact(name);
  let bytecode = artifact.bytecode.slice(2);
  for (const [, libs] of Object.entries(artifact.linkReferences)) {
    for (const [lib, places] of Object.entries(libs)) {
      const address = libraries[lib];
      if (address === undefined) throw new Error(`${name} needs library ${lib}; deploy it first.`);
      for (const { start, length } of places) {
        bytecode = bytecode.slice(0, 2 * start) + address.slice(2).toLowerCase() + bytecode.slice(2 * (start + length));
      }
    }
  }
  const hash = await deployer.deployContract({
    abi: artifact.abi as Abi,
    bytecode: `0x${bytecode}`,
    args,
    chain: deployer.chain,
  });
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.contractAddress == null) throw new Error(`Deploying ${name} created no contract (tx ${hash}).`);
  return getAddress(receipt.contractAddress);
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

  const consortium = await deploy(chain, op, "Consortium", [
    [op.account.address],
    FOUNDER_METADATA,
    AGREEMENT_V1,
    Number(NOTICE_PERIOD),
  ]);
  const token = await deploy(chain, op, "SettlementToken", [consortium, "Capacity Euro", "CEUR"]);
  const gateway = await deploy(chain, op, "FiatGateway", [consortium, token, op.account.address, op.account.address]);
  await transact(chain, op, { address: consortium, abi: consortiumAbi, functionName: "bindToken", args: [token] });
  await transact(chain, op, { address: token, abi: settlementTokenAbi, functionName: "bindGateway", args: [gateway] });
  const licenseRegistry = await deploy(chain, op, "LicenseRegistry", [consortium]);
  const machineRegistry = await deploy(chain, op, "MachineRegistry", [consortium, licenseRegistry]);
  const meterLedger = await deploy(chain, op, "MeterLedger", []);
  const usageMeter = await deploy(chain, op, "UsageMeter", [consortium, token, machineRegistry], {
    MeterLedger: meterLedger,
  });
  for (const contract of [gateway, licenseRegistry, machineRegistry, usageMeter]) {
    await transact(chain, op, {
      address: consortium,
      abi: consortiumAbi,
      functionName: "registerContract",
      args: [contract],
    });
  }
  const layer = new SettlementLayer(chain, { consortium, token, gateway });
  for (const [member, role] of [
    [auditor, Role.Auditor],
    [provider, Role.Provider],
    [consumer, Role.Consumer],
  ] as const) {
    await layer.admit(op, [member.account.address], roleMask(role), referenceHash(`member ${member.account.address}`));
    await layer.acceptCurrentAgreement(member);
  }
  await layer.configureMinter(op, op.account.address, BUDGET);
  const now = Number((await chain.publicClient.getBlock()).timestamp);
  await layer.attestReserve(auditor, BUDGET, now, referenceHash("reserve report, gateway kill test"));
  await layer.mintForDeposit(
    op,
    consumer.account.address,
    BUDGET,
    referenceHash(`deposit of the consumer, seed ${seed}`),
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
  const openedAt = Number((await chain.publicClient.getBlock()).timestamp);
  const orderIds: bigint[] = [];
  for (let i = 0; i < orders; i++) {
    const { orderId } = await meter.openOrder(consumer, {
      machineId,
      tariffVersion: 1,
      budget: BUDGET / BigInt(orders),
      expiresAt: openedAt + 30 * 86400,
      disputeWindow: 3600,
    });
    orderIds.push(orderId);
  }
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
