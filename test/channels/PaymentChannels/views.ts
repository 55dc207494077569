/*
PaymentChannels, views — the branches, written down first; one `it` per leaf. Who may call each function (every member
role, an outsider, the issuer's keys) is the role matrix's (test/RoleMatrix/); that the TypeScript typed data agrees
with the contract is test/core/voucher.ts's. Every money movement is checked on the balances of both payers, the
payee and the contract.

views
├── channelId is channelIdOf(payer, payee, nonce) ─────────── for the fixture's channel and edge values
├── channel of an unknown id ─────────────────────────────── all zeros
├── voucherDigest and closeDigest ────────────────────────── the TypeScript voucherDigest and closeDigest
├── supportsInterface ────────────────────────────────────── IPaymentChannels, IObligations, IERC165; nothing else
└── token, consortium, minChallengePeriod ────────────────── the deployment's (one hour by default)
*/
import { expect } from "chai";
import { Interface } from "ethers";
import hre from "hardhat";
import { getAddress, zeroAddress } from "viem";

import { channelIdOf, closeDigest, voucherDigest } from "../../../src/core/voucher.js";
import { referenceHash } from "../../../src/core/references.js";
import { IERC165_SIGNATURES, functionSignatures, interfaceIdOf, ownFunctions } from "../../helpers/interfaceId.js";
import { channelStruct, loadFixture, MAX_UINT96, MIN_CHALLENGE, opened, USAGE, world } from "./fixture.js";

describe("PaymentChannels", function () {
  describe("views", function () {
    it("channelId is channelIdOf(payer, payee, nonce), for the fixture's channel and edge values", async function () {
      const f = await loadFixture(opened);
      expect(await f.channels.channelId(f.key.payer, f.key.payee, f.key.nonce)).to.equal(f.id);
      expect(f.id).to.equal(channelIdOf(f.key));
      for (const key of [
        { payer: zeroAddress, payee: zeroAddress, nonce: 0n },
        { payer: getAddress(`0x${"ff".repeat(20)}`), payee: f.payee.address, nonce: MAX_UINT96 },
      ]) {
        expect(await f.channels.channelId(key.payer, key.payee, key.nonce)).to.equal(channelIdOf(key));
      }
    });

    it("channel of an unknown id is all zeros", async function () {
      const f = await loadFixture(opened);
      expect(await f.channels.channel(referenceHash("no channel"))).to.deep.equal(channelStruct(0n, 0n, 0, 0));
    });

    it("voucherDigest and closeDigest are the TypeScript voucherDigest and closeDigest", async function () {
      const f = await loadFixture(opened);
      const v = { payee: f.key.payee, nonce: f.key.nonce, amount: 123_456n, usage: USAGE };
      expect(await f.channels.voucherDigest(v.payee, v.nonce, v.amount, v.usage)).to.equal(voucherDigest(f.domain, v));
      expect(await f.channels.closeDigest(f.id, 42n)).to.equal(closeDigest(f.domain, f.id, 42n));
    });

    it("supportsInterface answers for IPaymentChannels, IObligations and IERC165, and nothing else", async function () {
      const f = await loadFixture(world);
      const iface = async (name: string) => new Interface((await hre.artifacts.readArtifact(name)).abi);
      const obligations = functionSignatures(await iface("IObligations"));
      const ierc165 = [...IERC165_SIGNATURES];
      const channelsId = interfaceIdOf(ownFunctions(await iface("IPaymentChannels"), [...obligations, ...ierc165]));
      const obligationsId = interfaceIdOf(ownFunctions(await iface("IObligations"), ierc165));
      const meterId = interfaceIdOf(ownFunctions(await iface("IUsageMeter"), [...obligations, ...ierc165]));
      expect(await f.channels.supportsInterface(channelsId)).to.equal(true);
      expect(await f.channels.supportsInterface(obligationsId)).to.equal(true);
      expect(await f.channels.supportsInterface(interfaceIdOf(ierc165))).to.equal(true);
      expect(await f.channels.supportsInterface(meterId)).to.equal(false);
      expect(await f.channels.supportsInterface("0xffffffff")).to.equal(false);
    });

    it("token, consortium and minChallengePeriod are the deployment's (one hour by default)", async function () {
      const f = await loadFixture(world);
      expect(await f.channels.token()).to.equal(await f.token.getAddress());
      expect(await f.channels.consortium()).to.equal(await f.consortium.getAddress());
      expect(await f.channels.minChallengePeriod()).to.equal(BigInt(MIN_CHALLENGE));
    });
  });
});
