/**
 * A payment channel ready for the off-chain protocol: the whole system deployed, a payer (a consumer's
 * account) and a payee (a provider's account) whose keys the test holds, a laser listed by the payee's
 * member with a device key, and a channel opened from the payer to the payee through the viem SDK.
 */
import type { NetworkConnection } from "hardhat/types/network";
import { keccak256, stringToHex, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

import { viemChain, type ViemChain } from "../../src/chain/hardhat.js";
import type { Tariff } from "../../src/core/tariff.js";
import { ChannelsClient } from "../../src/contracts/channels.js";
import type { TariffSource } from "../../src/services/channels/payer.js";
import { signUsage, type SignedUsage } from "../../src/core/increment.js";
import type { ChannelKey, ChannelsDomain } from "../../src/core/voucher.js";
import { parseEuro } from "../../src/core/money.js";
import type { Wallet } from "../../src/chain/transact.js";
import { marketFixture, mintTo, type MarketFixture } from "./fixtures.js";
import { profileArg, sampleProfile, sampleTariff, tariffArg } from "./registry.js";

export const DEPOSIT = parseEuro("100");
export const CHALLENGE = 3600;
/** 48 EUR/h, 0.20 EUR per part (0.15 above 100), 25 EUR setup, no minimum: every part costs something. */
export const CHANNEL_TARIFF: Tariff = sampleTariff({ minimumCharge: 0n });

export interface ChannelFixture extends MarketFixture {
  chain: ViemChain;
  domain: ChannelsDomain;
  payer: PrivateKeyAccount;
  payerKey: Hex;
  payee: PrivateKeyAccount;
  payerWallet: Wallet;
  payeeWallet: Wallet;
  device: PrivateKeyAccount;
  machineId: bigint;
  client: ChannelsClient;
  key: ChannelKey;
  channelId: Hex;
  /** When the channel was opened: its block's timestamp. */
  openedAt: number;
  tariffs: TariffSource;
}

export function channelFixture(connection: NetworkConnection): () => Promise<ChannelFixture> {
  const deployMarket = marketFixture(connection);
  return async function deployChannel(): Promise<ChannelFixture> {
    const f = await deployMarket();
    const { networkHelpers } = connection;
    const chain = await viemChain(connection);
    const payerKey = generatePrivateKey();
    const payer = privateKeyToAccount(payerKey);
    const payee = privateKeyToAccount(generatePrivateKey());
    const device = privateKeyToAccount(generatePrivateKey());
    for (const account of [payer, payee]) await networkHelpers.setBalance(account.address, 10n ** 20n);
    // The payer is another account of the consumer, the payee another account of the provider.
    await f.consortium.connect(f.consumer).addAccount(payer.address);
    await f.consortium.connect(f.provider).addAccount(payee.address);
    await mintTo(f, payer.address, parseEuro("1000"));
    await f.machines
      .connect(f.provider)
      .registerMachine(profileArg(sampleProfile()), [device.address], tariffArg(CHANNEL_TARIFF));
    const machineId = await f.machines.machineCount();
    const addresses = {
      paymentChannels: (await f.channels.getAddress()) as Address,
      token: (await f.token.getAddress()) as Address,
    };
    const client = new ChannelsClient(chain, addresses);
    const payerWallet = chain.wallet(payer);
    const payeeWallet = chain.wallet(payee);
    const { key, channelId, receipt } = await client.open(payerWallet, {
      payee: payee.address,
      salt: 1,
      deposit: DEPOSIT,
      expiresAt: (await networkHelpers.time.latest()) + 30 * 86400,
      challengePeriod: CHALLENGE,
    });
    const openedAt = Number((await chain.publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp);
    return {
      ...f,
      chain,
      domain: { chainId: chain.chainId, channels: addresses.paymentChannels },
      payer,
      payerKey,
      payee,
      payerWallet,
      payeeWallet,
      device,
      machineId,
      client,
      key,
      channelId,
      openedAt,
      tariffs: { tariffOf: async () => CHANNEL_TARIFF },
    };
  };
}

/** Increment `sequence` of the channel: 10-second slices from `start`, 8 machine seconds and one part each. */
export async function increment(
  f: Pick<ChannelFixture, "device" | "domain" | "channelId">,
  sequence: number,
  start: number,
  fields: Partial<{ machineSeconds: bigint; units: bigint; periodStart: number; periodEnd: number }> = {},
  device = f.device,
): Promise<SignedUsage> {
  return signUsage(device, f.domain, {
    channelId: f.channelId,
    sequence,
    periodStart: fields.periodStart ?? start + (sequence - 1) * 10,
    periodEnd: fields.periodEnd ?? start + sequence * 10,
    machineSeconds: fields.machineSeconds ?? 8n,
    units: fields.units ?? 1n,
    readingsRoot: keccak256(stringToHex(`readings of part ${sequence}`)),
  });
}
