/**
 * The gateway's in-process fixture: the market deployed on Hardhat's network, machine 1 with a device key and
 * an inspector key, machine 2 with another device key, and order 1 of 5,000 EUR on machine 1 (expiring in 30
 * days, a dispute window of an hour); with the viem chain, the meter's EIP-712 domain and the order's opening
 * time, where both its streams' first periods may start.
 */
import { getAddress, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { NetworkConnection } from "hardhat/types/network";

import { expect } from "chai";

import { viemChain, type ViemChain } from "../../src/chain/hardhat.js";
import { KeyKind } from "../../src/core/listing.js";
import type { GatewayStore } from "../../src/services/gateway/store.js";
import { Submitter } from "../../src/services/gateway/submitter.js";
import type { MeterDomain } from "../../src/core/report.js";
import { parseEuro } from "../../src/core/money.js";
import { referenceHash } from "../../src/core/references.js";
import { marketFixture, mintTo, type MarketFixture } from "./fixtures.js";
import { profileArg, sampleProfile, sampleTariff, tariffArg } from "./registry.js";

export interface Booked extends MarketFixture {
  chain: ViemChain;
  deviceKey: Hex;
  device: PrivateKeyAccount;
  inspectorKey: Hex;
  inspector: PrivateKeyAccount;
  otherDeviceKey: Hex;
  domain: MeterDomain;
  meterAddress: Address;
  registryAddress: Address;
  orderId: bigint;
  openedAt: number;
  expiresAt: number;
}

/** The fixture function for `loadFixture` (one per connection, so that its snapshot is reused). */
export function bookedFixture(connection: NetworkConnection): () => Promise<Booked> {
  const deployMarket = marketFixture(connection);
  return async function booked(): Promise<Booked> {
    const f = await deployMarket();
    const { time } = connection.networkHelpers;
    const deviceKey = generatePrivateKey();
    const device = privateKeyToAccount(deviceKey);
    const inspectorKey = generatePrivateKey();
    const inspector = privateKeyToAccount(inspectorKey);
    const otherDeviceKey = generatePrivateKey();
    const otherDevice = privateKeyToAccount(otherDeviceKey);
    const tariff = tariffArg(sampleTariff({ minimumCharge: 0n }));
    await f.machines.connect(f.provider).registerMachine(profileArg(sampleProfile()), [device.address], tariff);
    await f.machines.connect(f.provider).addKey(1n, inspector.address, KeyKind.Inspector);
    await f.machines.connect(f.provider).registerMachine(profileArg(sampleProfile()), [otherDevice.address], tariff);
    await mintTo(f, f.consumer.address, parseEuro("10000"));
    const meterAddress = getAddress(await f.meter.getAddress());
    await f.token.connect(f.consumer).approve(meterAddress, parseEuro("10000"));
    const expiresAt = (await time.latest()) + 30 * 86400;
    await f.meter.connect(f.consumer).openOrder({
      machineId: 1n,
      tariffVersion: 1,
      budget: parseEuro("5000"),
      expiresAt,
      disputeWindow: 3600,
      capPerPeriod: 0n,
      capPeriod: 0,
      capability: referenceHash("laser-cutting"),
      licenseVersions: [],
    });
    const openedAt = Number((await f.meter.getOrder(1n)).openedAt);
    const chain = await viemChain(connection);
    return {
      ...f,
      chain,
      deviceKey,
      device,
      inspectorKey,
      inspector,
      otherDeviceKey,
      domain: { chainId: chain.chainId, meter: meterAddress },
      meterAddress,
      registryAddress: getAddress(await f.machines.getAddress()),
      orderId: 1n,
      openedAt,
      expiresAt,
    };
  };
}

/** Records everything `store` holds on the booked order's chain, a block deep, through a submitter. */
export async function recordAllStored(f: Booked, store: GatewayStore): Promise<void> {
  const submitter = new Submitter({
    store,
    publicClient: f.chain.publicClient,
    wallet: f.chain.wallet(f.chain.accounts[9]!),
    usageMeter: f.meterAddress,
  });
  await submitter.tick();
  await submitter.tick();
  expect(store.all().map((r) => r.status)).to.deep.equal(store.all().map(() => "recorded"));
}
