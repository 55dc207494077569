/** Gas of the registries' transactions, each measured on a real transaction. */
import type { NetworkConnection } from "hardhat/types/network";
import { zeroPadValue } from "ethers";

import { KeyKind, MachineKind } from "../src/core/listing.js";
import { capabilityTag, siteCode } from "../src/core/vocabulary.js";
import { Role, roleMask } from "../src/core/membership.js";
import { parseEuro } from "../src/core/money.js";
import { referenceHash } from "../src/core/references.js";
import { deployCapacityMarket } from "../deploy/deploy.js";
import { benchTariff, gasOf } from "./gas.js";

/**
 * `registry.registerMachine`: a machine with 3 capability tags, 1 device key and a tariff (two volume
 * tiers, one licence), listed by a provider that already lists a machine with the same tags.
 * `registry.publishTariff`: a new version of that tariff. `registry.rotateKey`: replace the device key.
 * `licenses.registerLicense`: a licensor's first licence.
 */
export async function measureRegistryGas(connection: NetworkConnection): Promise<Record<string, number>> {
  const { ethers } = connection;
  const [operator, provider, licensor] = await ethers.getSigners();
  if (operator === undefined || provider === undefined || licensor === undefined) {
    throw new Error("The benchmark needs three accounts on the network.");
  }
  const deployment = await deployCapacityMarket(connection, { deploymentId: `bench-registry-${Date.now()}` });
  const consortium = await ethers.getContractAt("Consortium", deployment.addresses.consortium, operator);
  const licenses = await ethers.getContractAt("LicenseRegistry", deployment.addresses.licenseRegistry, licensor);
  const machines = await ethers.getContractAt("MachineRegistry", deployment.addresses.machineRegistry, provider);
  const [, agreement] = await consortium.currentAgreement();
  for (const [signer, role] of [
    [provider, Role.Provider],
    [licensor, Role.Licensor],
  ] as const) {
    await (await consortium.admit([signer.address], roleMask(role), referenceHash(signer.address))).wait();
    await (await consortium.connect(signer).acceptAgreement(agreement)).wait();
  }

  const registerLicense = await gasOf(licenses.registerLicense(parseEuro("0.35"), referenceHash("licence terms")));
  const profile = {
    kind: MachineKind.Machine,
    site: siteCode("DE-HH-01"),
    capabilities: ["laser-cutting", "laser-engraving", "sheet-metal"].map(capabilityTag),
    metadataURI: "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
    metadataHash: referenceHash("specification sheet"),
  };
  const tariff = (pricePerHour: bigint) => benchTariff(pricePerHour, [1]);
  const key = (n: number) => zeroPadValue(`0x${n.toString(16).padStart(2, "0")}`, 20);
  await (await machines.registerMachine(profile, [key(1)], tariff(parseEuro("48")))).wait();
  const registerMachine = await gasOf(machines.registerMachine(profile, [key(2)], tariff(parseEuro("48"))));
  const publishTariff = await gasOf(machines.publishTariff(2n, tariff(parseEuro("52"))));
  const rotateKey = await gasOf(machines.rotateKey(2n, key(2), key(3)));
  if ((await machines.signerKey(key(3))).kind !== BigInt(KeyKind.Device)) throw new Error("rotation lost the key kind");

  return {
    "registry.registerMachine": registerMachine,
    "registry.publishTariff": publishTariff,
    "registry.rotateKey": rotateKey,
    "licenses.registerLicense": registerLicense,
  };
}
