/**
 * Open channels bind the accounts they run between: a member cannot shed the obligations of a channel by
 * removing the account that pays into it (the token holds it) or the account it pays (the Consortium
 * refuses), so an exit cannot be completed around an open channel.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { settlementTokenAbi } from "../../src/generated/abis.js";
import { channelFixture } from "../helpers/channels.js";

const connection = await network.create();
const { networkHelpers } = connection;
const deployChannel = channelFixture(connection);

describe("removing an account with open channels", function () {
  it("refuses to remove the payee's account while a channel pays it, with ConsortiumAccountInUse", async function () {
    const f = await networkHelpers.loadFixture(deployChannel);
    const providerId = f.memberIds.provider;
    expect(await f.channels.openObligations(providerId)).to.equal(1n);
    await expect(f.consortium.connect(f.provider).removeAccount(f.payee.address))
      .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountInUse")
      .withArgs(f.payee.address, await f.channels.getAddress(), 1n);
    expect(await f.channels.openObligations(providerId)).to.equal(1n);
    expect((await f.consortium.memberOf(f.payee.address)).active).to.equal(true);
  });

  it("refuses to remove the payer's account while a channel owes it a refund, with SettlementTokenAccountHeld", async function () {
    const f = await networkHelpers.loadFixture(deployChannel);
    // Empty the wallet first: a removal would sweep a balance anyway, the hold alone refuses it.
    const balance = await f.token.balanceOf(f.payer.address);
    await f.payerWallet.writeContract({
      address: (await f.token.getAddress()) as `0x${string}`,
      abi: settlementTokenAbi,
      functionName: "transfer",
      args: [(await f.consumer.getAddress()) as `0x${string}`, balance],
      chain: null,
    });
    await expect(f.consortium.connect(f.consumer).removeAccount(f.payer.address))
      .to.be.revertedWithCustomError(f.token, "SettlementTokenAccountHeld")
      .withArgs(f.payer.address, 1n);
  });

  it("removes the payee's account once its channels are closed", async function () {
    const f = await networkHelpers.loadFixture(deployChannel);
    // The payee gives the channel up; the payer is refunded in full and nothing binds the account any more.
    await f.client.release(f.payeeWallet, f.key);
    await expect(f.consortium.connect(f.provider).removeAccount(f.payee.address))
      .to.emit(f.consortium, "AccountRemoved")
      .withArgs(f.memberIds.provider, f.payee.address);
    expect(await f.channels.openObligations(f.memberIds.provider)).to.equal(0n);
  });
});
