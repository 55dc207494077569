/** Gas of the UsageMeter's order and report paths, each measured on real transactions. */
import type { NetworkConnection } from "hardhat/types/network";
import { getAddress, keccak256, stringToHex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

import { MachineKind } from "../src/core/listing.js";
import { capabilityTag, siteCode } from "../src/core/vocabulary.js";
import { encodeReportBatch } from "../src/codec/batch.js";
import { ReadingKind, readingsRoot } from "../src/core/readings.js";
import { signReport, type MeterDomain, type SignedReport } from "../src/core/report.js";
import { Role, roleMask } from "../src/core/membership.js";
import { parseEuro } from "../src/core/money.js";
import { referenceHash } from "../src/core/references.js";
import { deployCapacityMarket } from "../deploy/deploy.js";
import { benchTariff, gasOf } from "./gas.js";

/** Batch sizes of `meter.gasPerReport`. */
export const SCALING_SIZES = [1, 10, 50, 100, 200] as const;
const BUDGET = parseEuro("50");
/**
 * Every report covers a period ending at this fixed time (the chain is moved past it), and device keys are
 * derived from fixed seeds: the signatures, and so the calldata and the gas, are the same on every run.
 */
const PERIOD_END = 2_000_000_000;
const PERIOD_START = PERIOD_END - 500;

export interface MeterGas {
  gas: Record<string, number>;
  scaling: Record<string, [number, number][]>;
}

/**
 * `meter.openOrder`: a consumer's order on a machine that already has one (the tariff is cached), approve
 * not counted. `meter.report.single`: one report alone through `submitReport`, the first of its order.
 * `meter.report.batch100.perReport`: one packed `submitReports` of 100 reports, each the first of its own
 * order on one machine, all recorded, each with machine seconds and units; gas / 100.
 * `meter.report.batch100.perReport.distinctMachines`: the same over 10 machines with their own device keys
 * and tariffs, orders interleaved so that consecutive reports never share a key or a tariff (worst case).
 * `meter.gasPerReport` (scaling): the one-machine batch at 1, 10, 50, 100 and 200 reports.
 */
export async function measureMeterGas(connection: NetworkConnection): Promise<MeterGas> {
  const { ethers, networkHelpers } = connection;
  const [operator, provider, consumer, auditor, minter] = await ethers.getSigners();
  if (!operator || !provider || !consumer || !auditor || !minter) {
    throw new Error("The benchmark needs five accounts on the network.");
  }
  const deployment = await deployCapacityMarket(connection, { deploymentId: `bench-meter-${Date.now()}` });
  const { addresses } = deployment;
  const consortium = await ethers.getContractAt("Consortium", addresses.consortium, operator);
  const gateway = await ethers.getContractAt("FiatGateway", addresses.gateway, operator);
  const token = await ethers.getContractAt("SettlementToken", addresses.token, consumer);
  const machines = await ethers.getContractAt("MachineRegistry", addresses.machineRegistry, provider);
  const meter = await ethers.getContractAt("UsageMeter", addresses.usageMeter, consumer);
  const [, agreement] = await consortium.currentAgreement();
  for (const [signer, role] of [
    [provider, Role.Provider],
    [consumer, Role.Consumer],
    [auditor, Role.Auditor],
  ] as const) {
    await (await consortium.admit([signer.address], roleMask(role), referenceHash(signer.address))).wait();
    await (await consortium.connect(signer).acceptAgreement(agreement)).wait();
  }
  const funds = parseEuro("1000000");
  await (await gateway.configureMinter(minter.address, funds)).wait();
  const now = await networkHelpers.time.latest();
  await (await gateway.connect(auditor).attestReserve(funds, now, referenceHash("bench reserve"))).wait();
  await (await gateway.connect(minter).mint(consumer.address, funds, referenceHash("bench meter deposit"))).wait();
  await (await token.approve(addresses.usageMeter, funds)).wait();

  // Eleven lasers, each with its own device key; machine 1 takes the one-machine batches.
  const devices: PrivateKeyAccount[] = [];
  for (let i = 0; i < 11; i++) {
    const device = privateKeyToAccount(keccak256(stringToHex(`bench device key ${i + 1}`)));
    devices.push(device);
    await (
      await machines.registerMachine(
        {
          kind: MachineKind.Machine,
          site: siteCode("DE-HH-01"),
          capabilities: ["laser-cutting", "sheet-metal"].map(capabilityTag),
          metadataURI: `ipfs://laser-${i + 1}`,
          metadataHash: referenceHash(`laser ${i + 1}`),
        },
        [device.address],
        benchTariff(parseEuro("48") + BigInt(i), []),
      )
    ).wait();
  }

  let ordersOpened = 0n;
  const open = async (machineId: bigint) => {
    const tx = meter.openOrder({
      machineId,
      tariffVersion: 1,
      budget: BUDGET,
      expiresAt: PERIOD_END + 30 * 86400,
      disputeWindow: 3600,
      capPerPeriod: 0n,
      capPeriod: 0,
      capability: capabilityTag("laser-cutting"),
      licenseVersions: [],
    });
    const gas = await gasOf(tx);
    ordersOpened += 1n;
    return { orderId: ordersOpened, gas };
  };
  /** Opens `count` orders, on machine 1 or round-robin over machines 2..11. */
  const openMany = async (count: number, spread: boolean) => {
    const orders: { orderId: bigint; machineId: bigint }[] = [];
    for (let i = 0; i < count; i++) {
      const machineId = spread ? BigInt(2 + (i % 10)) : 1n;
      orders.push({ orderId: (await open(machineId)).orderId, machineId });
    }
    return orders;
  };

  // Orders open before the fixed period starts (a period may not begin before its order), and are reported on
  // once the chain has passed its end.
  if (now >= PERIOD_START) throw new Error(`The bench's fixed report period starts at ${PERIOD_START}; move it later.`);
  await networkHelpers.time.increaseTo(PERIOD_START - 10_000);
  await open(1n);
  const openOrder = (await open(1n)).gas;
  const [alone] = await openMany(1, false);
  const batches: { orderId: bigint; machineId: bigint }[][] = [];
  for (const size of SCALING_SIZES) batches.push(await openMany(size, false));
  const batch100Orders = await openMany(100, false);
  const spreadOrders = await openMany(100, true);
  await networkHelpers.time.increaseTo(PERIOD_END + 3600);

  const { chainId } = await ethers.provider.getNetwork();
  const domain: MeterDomain = { chainId: Number(chainId), meter: getAddress(addresses.usageMeter) };
  const sign = async (orders: readonly { orderId: bigint; machineId: bigint }[]): Promise<SignedReport[]> => {
    const end = PERIOD_END;
    const root = readingsRoot([{ index: 0n, at: end, kind: ReadingKind.SpindleSeconds, amount: 400n, licenseId: 0 }]);
    return Promise.all(
      orders.map(({ orderId, machineId }) =>
        signReport(devices[Number(machineId) - 1]!, domain, {
          orderId,
          sequence: 1,
          periodStart: PERIOD_START,
          periodEnd: end,
          machineSeconds: 400n,
          units: 10n,
          inspections: 0,
          licensedProducts: [],
          readingsRoot: root,
        }),
      ),
    );
  };
  /** Gas per report of one packed batch over `orders`; every report must be recorded. */
  const batchGas = async (orders: readonly { orderId: bigint; machineId: bigint }[]): Promise<number> => {
    const reports = await sign(orders);
    const receipt = await (await meter.submitReports(encodeReportBatch(reports))).wait();
    if (receipt === null) throw new Error("the batch was dropped");
    const recorded = receipt.logs.filter(
      (log) => log.topics[0] === meter.interface.getEvent("ReportRecorded").topicHash,
    );
    if (recorded.length !== orders.length) {
      throw new Error(`${orders.length - recorded.length} of ${orders.length} reports were not recorded.`);
    }
    return Math.round(Number(receipt.gasUsed) / orders.length);
  };

  const [signed] = await sign([alone!]);
  const single = await gasOf(
    meter.submitReport(
      { ...signed!.report, licensedProducts: [...signed!.report.licensedProducts] },
      signed!.signature,
    ),
  );

  const scaling: [number, number][] = [];
  for (const [i, size] of SCALING_SIZES.entries()) {
    console.log(`  meter: batch of ${size} reports`);
    scaling.push([size, await batchGas(batches[i]!)]);
  }
  const batch100 = await batchGas(batch100Orders);
  const distinctMachines = await batchGas(spreadOrders);

  return {
    gas: {
      "meter.openOrder": openOrder,
      "meter.report.single": single,
      "meter.report.batch100.perReport": batch100,
      "meter.report.batch100.perReport.distinctMachines": distinctMachines,
    },
    scaling: { "meter.gasPerReport": scaling },
  };
}
