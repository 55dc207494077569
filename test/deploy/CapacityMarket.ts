import { expect } from "chai";
import { network } from "hardhat";

import { deployCapacityMarket, parametersFileFor, readParameters } from "../../deploy/deploy.js";
import { AccountStanding, MemberStatus, Role, roleMask } from "../../src/core/membership.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

async function deployWithDefaults() {
  const deployment = await deployCapacityMarket(connection, { deploymentId: "test" });
  const [deployer] = await ethers.getSigners();
  return {
    deployment,
    deployer: deployer!,
    consortium: await ethers.getContractAt("Consortium", deployment.addresses.consortium),
    token: await ethers.getContractAt("SettlementToken", deployment.addresses.token),
    gateway: await ethers.getContractAt("FiatGateway", deployment.addresses.gateway),
    licenses: await ethers.getContractAt("LicenseRegistry", deployment.addresses.licenseRegistry),
    machines: await ethers.getContractAt("MachineRegistry", deployment.addresses.machineRegistry),
  };
}

describe("ignition/modules/CapacityMarket (with SettlementLayer)", function () {
  it("deploys the settlement layer with the network's parameters", async function () {
    const { deployment, consortium, token } = await networkHelpers.loadFixture(deployWithDefaults);
    const parameters = (await readParameters(parametersFileFor("default"))).SettlementLayer!;
    expect(deployment.parametersFile).to.equal(parametersFileFor("default"));
    expect(await consortium.currentAgreement()).to.deep.equal([1n, parameters.agreementHash]);
    expect(await consortium.noticePeriod()).to.equal(BigInt(parameters.noticePeriod as number));
    expect(await token.name()).to.equal(parameters.tokenName);
    expect(await token.symbol()).to.equal(parameters.tokenSymbol);
    expect(await token.decimals()).to.equal(6n);
  });

  it("makes the deployer the founding member and only operator", async function () {
    const { deployer, consortium } = await networkHelpers.loadFixture(deployWithDefaults);
    const parameters = (await readParameters(parametersFileFor("default"))).SettlementLayer!;
    expect(await consortium.memberOf(deployer.address)).to.deep.equal([1n, true]);
    const founder = await consortium.getMember(1n);
    expect(founder.status).to.equal(BigInt(MemberStatus.Active));
    expect(founder.roles).to.equal(BigInt(roleMask(Role.Operator)));
    expect(founder.agreementVersion).to.equal(1n);
    expect(founder.metadataHash).to.equal(parameters.founderMetadata);
    expect(await consortium.operatorCount()).to.equal(1n);
  });

  it("wires token, gateway and consortium together", async function () {
    const { deployer, consortium, token, gateway } = await networkHelpers.loadFixture(deployWithDefaults);
    expect(await consortium.token()).to.equal(await token.getAddress());
    expect(await token.consortium()).to.equal(await consortium.getAddress());
    expect(await token.gateway()).to.equal(await gateway.getAddress());
    expect((await consortium.registeredContracts())[0]).to.equal(await gateway.getAddress());
    expect(await token.standingOf(await gateway.getAddress())).to.equal(BigInt(AccountStanding.System));
    expect(await token.standingOf(deployer.address)).to.equal(BigInt(AccountStanding.Member));
  });

  it("wires the registries to the consortium and registers them, so that their obligations block exits", async function () {
    const { deployment, consortium, token, gateway, licenses, machines } =
      await networkHelpers.loadFixture(deployWithDefaults);
    expect(await licenses.consortium()).to.equal(await consortium.getAddress());
    expect(await machines.consortium()).to.equal(await consortium.getAddress());
    expect(await machines.licenseRegistry()).to.equal(await licenses.getAddress());
    // Ignition registers independent contracts in whatever order it sends the transactions.
    const registered = [...(await consortium.registeredContracts())].sort();
    expect(registered).to.deep.equal(
      [
        await gateway.getAddress(),
        await licenses.getAddress(),
        await machines.getAddress(),
        deployment.addresses.usageMeter,
        deployment.addresses.paymentChannels,
      ].sort(),
    );
    expect(await token.standingOf(await machines.getAddress())).to.equal(BigInt(AccountStanding.System));
  });

  it("gives the gateway's admin and master minter roles to the deployer by default", async function () {
    const { deployer, gateway } = await networkHelpers.loadFixture(deployWithDefaults);
    expect(await gateway.hasRole(await gateway.DEFAULT_ADMIN_ROLE(), deployer.address)).to.equal(true);
    expect(await gateway.hasRole(await gateway.MASTER_MINTER_ROLE(), deployer.address)).to.equal(true);
  });
});
