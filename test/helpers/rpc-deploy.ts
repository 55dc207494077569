/**
 * The system deployed over JSON-RPC with viem, for tests and benches that run against an out-of-process
 * node (anvil) and start agents as processes: the settlement layer and both registries wired, one
 * product contract (the UsageMeter, PaymentChannels) deployed on top and registered with them, an auditor,
 * a provider and a consumer admitted, and the consumer funded against a bank deposit.
 */
import { artifacts } from "hardhat";
import { getAddress, type Abi, type Address } from "viem";

import type { RpcChain } from "../../src/chain/rpc.js";
import { consortiumAbi, settlementTokenAbi } from "../../src/generated/abis.js";
import { Role, roleMask } from "../../src/core/membership.js";
import { referenceHash } from "../../src/core/references.js";
import { SettlementLayer } from "../../src/contracts/settlement.js";
import { transact, type Wallet } from "../../src/chain/transact.js";
import { AGREEMENT_V1, FOUNDER_METADATA, NOTICE_PERIOD } from "./fixtures.js";

/** Deploys the compiled contract `name`, linking `libraries` (name to address) into its bytecode. */
export async function deployArtifact(
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

export interface CoreAddresses {
  consortium: Address;
  token: Address;
  gateway: Address;
  licenseRegistry: Address;
  machineRegistry: Address;
}

export interface RpcMarket extends CoreAddresses {
  /** The address `deployProduct` returned. */
  product: Address;
  layer: SettlementLayer;
}

export interface RpcMarketParties {
  operator: Wallet;
  auditor: Wallet;
  provider: Wallet;
  consumer: Wallet;
}

/**
 * Deploys and wires the system with `deployProduct` on top, admits the parties (each accepts the agreement),
 * and mints `funding` to the consumer: the operator is minter, the auditor attests the reserve first.
 */
export async function deployRpcMarket(
  chain: RpcChain,
  parties: RpcMarketParties,
  deployProduct: (core: CoreAddresses) => Promise<Address>,
  funding: { amount: bigint; reserveReport: string; deposit: string },
): Promise<RpcMarket> {
  const op = parties.operator;
  const consortium = await deployArtifact(chain, op, "Consortium", [
    [op.account.address],
    FOUNDER_METADATA,
    AGREEMENT_V1,
    Number(NOTICE_PERIOD),
  ]);
  const token = await deployArtifact(chain, op, "SettlementToken", [consortium, "Capacity Euro", "CEUR"]);
  const gateway = await deployArtifact(chain, op, "FiatGateway", [
    consortium,
    token,
    op.account.address,
    op.account.address,
  ]);
  await transact(chain, op, { address: consortium, abi: consortiumAbi, functionName: "bindToken", args: [token] });
  await transact(chain, op, { address: token, abi: settlementTokenAbi, functionName: "bindGateway", args: [gateway] });
  const licenseRegistry = await deployArtifact(chain, op, "LicenseRegistry", [consortium]);
  const machineRegistry = await deployArtifact(chain, op, "MachineRegistry", [consortium, licenseRegistry]);
  const core = { consortium, token, gateway, licenseRegistry, machineRegistry };
  const product = await deployProduct(core);
  for (const contract of [gateway, licenseRegistry, machineRegistry, product]) {
    await transact(chain, op, {
      address: consortium,
      abi: consortiumAbi,
      functionName: "registerContract",
      args: [contract],
    });
  }
  const layer = new SettlementLayer(chain, { consortium, token, gateway });
  for (const [member, role] of [
    [parties.auditor, Role.Auditor],
    [parties.provider, Role.Provider],
    [parties.consumer, Role.Consumer],
  ] as const) {
    await layer.admit(op, [member.account.address], roleMask(role), referenceHash(`member ${member.account.address}`));
    await layer.acceptCurrentAgreement(member);
  }
  await layer.configureMinter(op, op.account.address, funding.amount);
  const now = Number((await chain.publicClient.getBlock()).timestamp);
  await layer.attestReserve(parties.auditor, funding.amount, now, referenceHash(funding.reserveReport));
  await layer.mintForDeposit(op, parties.consumer.account.address, funding.amount, referenceHash(funding.deposit));
  return { ...core, product, layer };
}
