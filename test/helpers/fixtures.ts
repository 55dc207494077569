import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";

import CapacityMarket from "../../ignition/modules/CapacityMarket.js";
import SettlementLayer from "../../ignition/modules/SettlementLayer.js";
import { parseEuro } from "../../src/core/money.js";
import { Role, roleMask } from "../../src/core/membership.js";
import { referenceHash } from "../../src/core/references.js";
import type {
  Consortium,
  FiatGateway,
  LicenseRegistry,
  MachineRegistry,
  PaymentChannels,
  ReadingVerifier,
  SettlementToken,
  UsageMeter,
} from "../../typechain-types/index.js";

export const AGREEMENT_V1 = referenceHash("Capacity consortium framework agreement v1 (development)");
export const FOUNDER_METADATA = referenceHash("Founding member record (development)");
export const NOTICE_PERIOD = 90n * 24n * 60n * 60n;
export const RESERVE = parseEuro("1000000");
export const MINTER_ALLOWANCE = parseEuro("500000");

export interface Actors {
  operator: HardhatEthersSigner;
  provider: HardhatEthersSigner;
  consumer: HardhatEthersSigner;
  licensor: HardhatEthersSigner;
  auditor: HardhatEthersSigner;
  outsider: HardhatEthersSigner;
  minter: HardhatEthersSigner;
  masterMinter: HardhatEthersSigner;
  issuerAdmin: HardhatEthersSigner;
  /** Spare keys for members' extra accounts and new members. */
  spare: HardhatEthersSigner[];
}

export interface SettlementLayerFixture extends Actors {
  consortium: Consortium;
  token: SettlementToken;
  gateway: FiatGateway;
  memberIds: { operator: bigint; provider: bigint; consumer: bigint; licensor: bigint; auditor: bigint };
}

export interface MarketFixture extends SettlementLayerFixture {
  licenses: LicenseRegistry;
  machines: MachineRegistry;
  meter: UsageMeter;
  verifier: ReadingVerifier;
  channels: PaymentChannels;
}

type Connection = NetworkConnection;

/** Names the test accounts by the part they play. */
export async function actors(connection: Connection): Promise<Actors> {
  const signers = await connection.ethers.getSigners();
  const take = (index: number): HardhatEthersSigner => {
    const signer = signers[index];
    if (signer === undefined) throw new Error(`The test network has no account #${index}; configure more accounts.`);
    return signer;
  };
  return {
    operator: take(0),
    provider: take(1),
    consumer: take(2),
    licensor: take(3),
    auditor: take(4),
    outsider: take(5),
    minter: take(6),
    masterMinter: take(7),
    issuerAdmin: take(8),
    spare: signers.slice(9),
  };
}

const PARAMETERS = (who: Actors) => ({
  SettlementLayer: {
    founderMetadata: FOUNDER_METADATA,
    agreementHash: AGREEMENT_V1,
    noticePeriod: Number(NOTICE_PERIOD),
    gatewayAdmin: who.issuerAdmin.address,
    masterMinter: who.masterMinter.address,
  },
});

/**
 * Admits one member per role (each accepts the agreement), configures a minter and attests a reserve.
 * No tokens exist yet.
 */
async function populate(
  connection: Connection,
  who: Actors,
  consortium: Consortium,
  gateway: FiatGateway,
): Promise<SettlementLayerFixture["memberIds"]> {
  const admit = async (signer: HardhatEthersSigner, role: Role): Promise<bigint> => {
    await consortium
      .connect(who.operator)
      .admit([signer.address], roleMask(role), referenceHash(`member ${signer.address}`));
    await consortium.connect(signer).acceptAgreement(AGREEMENT_V1);
    return consortium.memberCount();
  };
  const memberIds = {
    operator: 1n,
    provider: await admit(who.provider, Role.Provider),
    consumer: await admit(who.consumer, Role.Consumer),
    licensor: await admit(who.licensor, Role.Licensor),
    auditor: await admit(who.auditor, Role.Auditor),
  };
  await gateway.connect(who.masterMinter).configureMinter(who.minter.address, MINTER_ALLOWANCE);
  const latest = await connection.ethers.provider.getBlock("latest");
  await gateway.connect(who.auditor).attestReserve(RESERVE, latest!.timestamp, referenceHash("reserve report 1"));
  return memberIds;
}

/**
 * Deploys the settlement layer with the project's own Ignition module, admits one member per role
 * (each accepts the agreement), configures a minter and attests a reserve. No tokens exist yet.
 */
export function settlementLayerFixture(connection: Connection): () => Promise<SettlementLayerFixture> {
  return async function deploySettlementLayer(): Promise<SettlementLayerFixture> {
    const who = await actors(connection);
    const deployed = await connection.ignition.deploy(SettlementLayer, {
      parameters: PARAMETERS(who),
      defaultSender: who.operator.address,
    });
    return settlementLayerOf(connection, who, deployed);
  };
}

/** Like {settlementLayerFixture}, with the whole system: the licence and machine registries too. */
export function marketFixture(connection: Connection): () => Promise<MarketFixture> {
  const { ethers } = connection;
  return async function deployCapacityMarket(): Promise<MarketFixture> {
    const who = await actors(connection);
    const deployed = await connection.ignition.deploy(CapacityMarket, {
      parameters: PARAMETERS(who),
      defaultSender: who.operator.address,
    });
    const layer = await settlementLayerOf(connection, who, deployed);
    const licenses = await ethers.getContractAt("LicenseRegistry", await deployed.licenseRegistry.getAddress());
    const machines = await ethers.getContractAt("MachineRegistry", await deployed.machineRegistry.getAddress());
    const meter = await ethers.getContractAt("UsageMeter", await deployed.usageMeter.getAddress());
    const verifier = await ethers.getContractAt("ReadingVerifier", await deployed.readingVerifier.getAddress());
    const channels = await ethers.getContractAt("PaymentChannels", await deployed.paymentChannels.getAddress());
    return { ...layer, licenses, machines, meter, verifier, channels };
  };
}

interface Deployed {
  getAddress(): Promise<string>;
}

/** The settlement layer of a deployment, typed, with one member per role admitted (see {populate}). */
async function settlementLayerOf(
  connection: Connection,
  who: Actors,
  deployed: { consortium: Deployed; token: Deployed; gateway: Deployed },
): Promise<SettlementLayerFixture> {
  const { ethers } = connection;
  const consortium = await ethers.getContractAt("Consortium", await deployed.consortium.getAddress());
  const token = await ethers.getContractAt("SettlementToken", await deployed.token.getAddress());
  const gateway = await ethers.getContractAt("FiatGateway", await deployed.gateway.getAddress());
  const memberIds = await populate(connection, who, consortium, gateway);
  return { ...who, consortium, token, gateway, memberIds };
}

/** Mints `amount` to `to` against a fresh bank reference named after `label`. */
export async function mintTo(f: SettlementLayerFixture, to: string, amount: bigint, label = `deposit ${to} ${amount}`) {
  await f.gateway.connect(f.minter).mint(to, amount, referenceHash(label));
}
