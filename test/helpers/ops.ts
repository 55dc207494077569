/**
 * The command line against the in-process network: the whole system deployed (see fixtures.ts), the
 * consumer funded, and `ops(signer, ...argv)` running `capacity <argv>` (src/cli/program.ts) in process with
 * that signer's key, returning its exit status and output.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";
import { getAddress, keccak256, stringToHex, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

import { viemChain, type ViemChain } from "../../src/chain/hardhat.js";
import { runCli } from "../../src/cli/program.js";
import type { CliOutcome } from "../../src/cli/output.js";
import { readingsRoot, ReadingKind } from "../../src/core/readings.js";
import { signReport } from "../../src/core/report.js";
import { UsageMeterClient } from "../../src/contracts/meter.js";
import { parseEuro } from "../../src/core/money.js";
import type { Ops } from "../../src/ops/context.js";
import type { MarketAddresses } from "../../src/chain/transact.js";
import { marketFixture, mintTo, type MarketFixture } from "./fixtures.js";

export interface OpsFixture extends MarketFixture {
  chain: ViemChain;
  ops: Ops;
  /** The consumer's payment agent: a key held here (vouchers are signed locally), an account of the consumer. */
  payer: PrivateKeyAccount;
  /** A device key for listings the tests register. */
  device: PrivateKeyAccount;
}

export const at = (signer: { address: string }): Address => getAddress(signer.address);

export function opsFixture(connection: NetworkConnection): () => Promise<OpsFixture> {
  const deployMarket = marketFixture(connection);
  return async function deployForOps(): Promise<OpsFixture> {
    const f = await deployMarket();
    const chain = await viemChain(connection);
    const addresses: MarketAddresses = {
      consortium: getAddress(await f.consortium.getAddress()),
      token: getAddress(await f.token.getAddress()),
      gateway: getAddress(await f.gateway.getAddress()),
      licenseRegistry: getAddress(await f.licenses.getAddress()),
      machineRegistry: getAddress(await f.machines.getAddress()),
      usageMeter: getAddress(await f.meter.getAddress()),
      readingVerifier: getAddress(await f.verifier.getAddress()),
      paymentChannels: getAddress(await f.channels.getAddress()),
    };
    const payer = privateKeyToAccount(generatePrivateKey());
    await connection.networkHelpers.setBalance(payer.address, 10n ** 20n);
    await f.consortium.connect(f.consumer).addAccount(payer.address);
    await mintTo(f, f.consumer.address, parseEuro("1000"));
    await mintTo(f, payer.address, parseEuro("500"));
    return {
      ...f,
      chain,
      ops: { chain, addresses, fromBlock: 0n },
      payer,
      device: privateKeyToAccount(generatePrivateKey()),
    };
  };
}

/** Runs `capacity <argv>` signed by `signer` (a Hardhat account or a local key). */
export function ops(
  f: OpsFixture,
  signer: HardhatEthersSigner | PrivateKeyAccount,
  ...argv: string[]
): Promise<CliOutcome> {
  const wallet = () =>
    "signTypedData" in signer && "source" in signer ? f.chain.wallet(signer) : f.chain.wallet(at(signer));
  return runCli(argv, async () => ({ ops: f.ops, wallet }));
}

/** The JSON a command printed with --json; fails with its output when it did not succeed. */
export function jsonOf<T = Record<string, unknown>>(outcome: CliOutcome): T {
  if (outcome.exitCode !== 0) throw new Error(`ops failed (${outcome.exitCode}): ${outcome.stdout}${outcome.stderr}`);
  return JSON.parse(outcome.stdout) as T;
}

/** Lists a laser for the provider with the fixture's device key: 36 EUR/h, 0.50 EUR per part, no minimum. */
export async function listLaser(f: OpsFixture): Promise<bigint> {
  const registered = jsonOf<{ machineId: string }>(
    await ops(
      f,
      f.provider,
      "machine",
      "register",
      "--json",
      "--site=DE-HH-01",
      "--capabilities=laser-cutting,sheet-metal",
      "--uri=ipfs://laser",
      "--spec=Laser spec sheet",
      `--keys=${f.device.address}`,
      "--price-per-hour=36",
      "--price-per-unit=0.50",
    ),
  );
  return BigInt(registered.machineId);
}

/** The device reports `seconds` of machine time and `units` parts on the order, relayed by the operator. */
export async function meterUsage(
  connection: NetworkConnection,
  f: OpsFixture,
  orderId: bigint,
  sequence: number,
  seconds: bigint,
  units: bigint,
  licensedProducts: readonly bigint[] = [],
): Promise<void> {
  const meter = new UsageMeterClient(f.chain, f.ops.addresses);
  await connection.networkHelpers.time.increase(Number(seconds) + 10);
  const end = (await connection.networkHelpers.time.latest()) - 1;
  const readings = [{ index: 0n, at: end, kind: ReadingKind.SpindleSeconds, amount: seconds, licenseId: 0 }];
  const signed = await signReport(f.device, await meter.domain(), {
    orderId,
    sequence,
    periodStart: end - Number(seconds),
    periodEnd: end,
    machineSeconds: seconds,
    units,
    inspections: 0,
    licensedProducts,
    readingsRoot: readingsRoot(readings),
  });
  await meter.submitReport(f.chain.wallet(at(f.operator)), signed);
}

export const usageHash = (text: string): Hex => keccak256(stringToHex(text));
