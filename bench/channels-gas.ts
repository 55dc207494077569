/** Gas of the payment channels, each figure from real transactions, on SettlementToken and on a plain ERC-20. */
import type { NetworkConnection } from "hardhat/types/network";
import { keccak256, parseSignature, stringToHex, type Address } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { Signer } from "ethers";

import {
  NO_USAGE,
  channelIdOf,
  compact,
  signCloseAuthorization,
  signVoucher,
  type ChannelKey,
  type ChannelsDomain,
} from "../src/core/voucher.js";
import { Role, roleMask } from "../src/core/membership.js";
import { parseEuro } from "../src/core/money.js";
import { referenceHash } from "../src/core/references.js";
import { permitTypes, tokenDomain } from "../src/core/typed-data.js";
import { deployCapacityMarket } from "../deploy/deploy.js";
import type { PaymentChannels } from "../typechain-types/index.js";
import { gasOf } from "./gas.js";

/** Payments the per-payment figure spreads one channel's on-chain cost over. */
export const PAYMENTS = 10_000;
const DEPOSIT = parseEuro("100");
const CHALLENGE = 3600;
/** Channels expire at a fixed time after the meter bench's clock, so that calldata (and gas) repeat exactly. */
const EXPIRES_AT = 2_100_000_000;

interface Party {
  account: PrivateKeyAccount;
  signer: Signer;
}

interface Setup {
  channels: PaymentChannels;
  approve(owner: Party, amount: bigint): Promise<void>;
  domain: ChannelsDomain;
}

/**
 * For one deployment of the channels (on SettlementToken, or on a plain ERC-20 without a Consortium):
 * `open` (approve of exactly the deposit not counted; other channels already hold deposits, the payer keeps a
 * balance, and has opened channels before), `claim` (a voucher claimed without closing, the payee already
 * holds tokens), `claimBatch100.perChannel` (100 channels of one payee in one claimMany, divided by 100),
 * `cooperativeClose` (the payee's close authorisation, money paid out both ways), `unilateralCloseAndSettle`
 * (requestClose, then settle after the challenge period, after one claim; both transactions).
 */
async function measure(connection: NetworkConnection, setup: Setup, payer: Party, payee: Party) {
  const { networkHelpers } = connection;
  const { channels, approve, domain } = setup;
  let salt = 0;
  const open = async (party: Party = payer, deposit = DEPOSIT) => {
    await approve(party, deposit);
    salt += 1;
    const tx = channels
      .connect(party.signer)
      .open(payee.account.address, salt, deposit, EXPIRES_AT, CHALLENGE) as unknown as Promise<{
      wait(): Promise<{ gasUsed: bigint; logs: { topics: readonly string[]; data: string }[] } | null>;
    }>;
    const receipt = await (await tx).wait();
    if (receipt === null) throw new Error("the open was dropped");
    const opened = receipt.logs
      .map((log) => channels.interface.parseLog(log))
      .find((event) => event?.name === "ChannelOpened");
    if (opened === undefined || opened === null) throw new Error("ChannelOpened was not emitted");
    const key: ChannelKey = { payer: party.account.address, payee: payee.account.address, nonce: opened.args.nonce };
    return { key, gas: Number(receipt.gasUsed) };
  };
  const voucher = async (key: ChannelKey, amount: bigint) =>
    compact(
      (await signVoucher(payer.account, domain, { payee: key.payee, nonce: key.nonce, amount, usage: NO_USAGE }))
        .signature,
    );
  const claim = async (key: ChannelKey, amount: bigint) => {
    const { r, vs } = await voucher(key, amount);
    return gasOf(channels.connect(payee.signer).claim(key.nonce, amount, NO_USAGE, r, vs));
  };

  await open(); // a channel already holds a deposit; payer and payee have channels
  const opened = await open();
  await claim(opened.key, parseEuro("1")); // the payee already holds tokens
  const claimed = await open();
  const claimGas = await claim(claimed.key, parseEuro("2"));

  const closing = await open();
  await claim(closing.key, parseEuro("3"));
  const final = parseEuro("4");
  const authorization = compact(await signCloseAuthorization(payee.account, domain, channelIdOf(closing.key), final));
  const cooperativeClose = await gasOf(
    channels
      .connect(payer.signer)
      .closeCooperatively(payee.account.address, closing.key.nonce, final, authorization.r, authorization.vs),
  );

  const unilateral = await open();
  await claim(unilateral.key, parseEuro("5"));
  const request = await gasOf(channels.connect(payer.signer).requestClose(payee.account.address, unilateral.key.nonce));
  await networkHelpers.time.increase(CHALLENGE);
  const settle = await gasOf(
    channels.connect(payer.signer).settle(payer.account.address, payee.account.address, unilateral.key.nonce),
  );

  const batch = [];
  for (let i = 0; i < 100; i++) {
    const { key } = await open(payer, parseEuro("10"));
    const { r, vs } = await voucher(key, parseEuro("1") + BigInt(i));
    batch.push({ nonce: key.nonce, amount: parseEuro("1") + BigInt(i), usage: NO_USAGE, r, vs });
  }
  const claimBatch = await gasOf(channels.connect(payee.signer).claimMany(batch));

  return {
    open: opened.gas,
    claim: claimGas,
    claimBatch100PerChannel: Math.round(claimBatch / 100),
    cooperativeClose,
    unilateralCloseAndSettle: request + settle,
  };
}

/** A key from a fixed seed, funded with ether for gas, as an ethers signer on the network. */
async function party(connection: NetworkConnection, seed: string): Promise<Party> {
  const { ethers, networkHelpers } = connection;
  const account = privateKeyToAccount(keccak256(stringToHex(seed)));
  await networkHelpers.setBalance(account.address, 10n ** 20n);
  return { account, signer: new ethers.Wallet(keccak256(stringToHex(seed)), ethers.provider) };
}

export async function measureChannelsGas(connection: NetworkConnection): Promise<Record<string, number>> {
  const { ethers } = connection;
  const [operator, auditor, minter] = await ethers.getSigners();
  if (!operator || !auditor || !minter) throw new Error("The benchmark needs three accounts on the network.");
  const { chainId } = await ethers.provider.getNetwork();
  const payer = await party(connection, "bench channel payer");
  const payee = await party(connection, "bench channel payee");
  const funds = parseEuro("100000");

  // On SettlementToken, deployed and wired like production.
  const deployment = await deployCapacityMarket(connection, { deploymentId: `bench-channels-${Date.now()}` });
  const { addresses } = deployment;
  const consortium = await ethers.getContractAt("Consortium", addresses.consortium, operator);
  const gateway = await ethers.getContractAt("FiatGateway", addresses.gateway, operator);
  const token = await ethers.getContractAt("SettlementToken", addresses.token);
  // Channels are new business: both parties accept the framework agreement in force after their admission.
  const [, agreement] = await consortium.currentAgreement();
  for (const [signer, role] of [
    [payer.signer, Role.Consumer],
    [payee.signer, Role.Provider],
    [auditor, Role.Auditor],
  ] as const) {
    const address = await signer.getAddress();
    await (await consortium.admit([address], roleMask(role), referenceHash(address))).wait();
    await (await consortium.connect(signer).acceptAgreement(agreement)).wait();
  }
  await (await gateway.configureMinter(minter.address, funds)).wait();
  const now = (await ethers.provider.getBlock("latest"))!.timestamp;
  await (await gateway.connect(auditor).attestReserve(funds, now, referenceHash("bench channels reserve"))).wait();
  await (await gateway.connect(minter).mint(payer.account.address, funds, referenceHash("bench channels"))).wait();
  const governed = await ethers.getContractAt("PaymentChannels", addresses.paymentChannels);
  const settlement = await measure(
    connection,
    {
      channels: governed,
      approve: async (owner, amount) => {
        await (await token.connect(owner.signer).approve(addresses.paymentChannels, amount)).wait();
      },
      domain: { chainId: Number(chainId), channels: addresses.paymentChannels },
    },
    payer,
    payee,
  );

  // openWithPermit: the whole cost of a new channel to the payer, one transaction (it has used permits before).
  const permitFor = async (amount: bigint, deadline: bigint) => {
    const signature = await payer.account.signTypedData({
      domain: tokenDomain(await token.name(), Number(chainId), addresses.token),
      types: permitTypes,
      primaryType: "Permit",
      message: {
        owner: payer.account.address,
        spender: addresses.paymentChannels,
        value: amount,
        nonce: await token.nonces(payer.account.address),
        deadline,
      },
    });
    return parseSignature(signature);
  };
  const permitDeadline = BigInt(EXPIRES_AT);
  let openWithPermit = 0;
  for (const salt of [1_000_001, 1_000_002]) {
    const { v, r, s } = await permitFor(DEPOSIT, permitDeadline);
    const gas = await gasOf(
      governed
        .connect(payer.signer)
        .openWithPermit(payee.account.address, salt, DEPOSIT, EXPIRES_AT, CHALLENGE, permitDeadline, v!, r, s),
    );
    openWithPermit = gas;
  }

  // On a plain OpenZeppelin ERC-20, without a Consortium: like for like with other channel systems.
  const plain = await ethers.deployContract("PlainERC20", ["Plain", "PLN", payer.account.address, funds]);
  const open = await ethers.deployContract("PaymentChannels", [await plain.getAddress(), ethers.ZeroAddress, 60]);
  const openAddress = (await open.getAddress()) as Address;
  const plainResult = await measure(
    connection,
    {
      channels: open,
      approve: async (owner, amount) => {
        await (await plain.connect(owner.signer).approve(openAddress, amount)).wait();
      },
      domain: { chainId: Number(chainId), channels: openAddress },
    },
    payer,
    payee,
  );

  return {
    "channels.open": settlement.open,
    "channels.openWithPermit": openWithPermit,
    "channels.claim": settlement.claim,
    "channels.claimBatch100.perChannel": settlement.claimBatch100PerChannel,
    "channels.cooperativeClose": settlement.cooperativeClose,
    "channels.unilateralCloseAndSettle": settlement.unilateralCloseAndSettle,
    "channels.perPayment.at10k":
      Math.round(((settlement.open + settlement.claim + settlement.cooperativeClose) / PAYMENTS) * 10) / 10,
    "channels.open.plainToken": plainResult.open,
    "channels.claim.plainToken": plainResult.claim,
    "channels.cooperativeClose.plainToken": plainResult.cooperativeClose,
    "channels.unilateralCloseAndSettle.plainToken": plainResult.unilateralCloseAndSettle,
  };
}
