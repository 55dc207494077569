/**
 * A payment channel on an out-of-process node (anvil), ready for the payer and payee processes: the
 * governed system deployed with viem from Hardhat's artifacts (Consortium, SettlementToken, FiatGateway,
 * LicenseRegistry, MachineRegistry, PaymentChannels, wired as ignition/modules wires them; the usage meter is
 * not needed here), an operator, an auditor who attests the reserve, a consumer's account (the payer) with
 * minted tokens, a provider's account (the payee) with a laser and its device key, and a channel opened
 * from the payer to the payee. Every key derives from `seed`, so a run can be repeated.
 */
import { createTestClient, http, keccak256, stringToHex, type Address, type Hex, type TestClient } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

import { rpcChain, type RpcChain } from "../../src/chain/rpc.js";
import { MarketRegistry } from "../../src/contracts/registries.js";
import { ChannelsClient } from "../../src/contracts/channels.js";
import type { ChannelKey, ChannelsDomain } from "../../src/core/voucher.js";
import { parseEuro } from "../../src/core/money.js";
import { SettlementLayer } from "../../src/contracts/settlement.js";
import type { Wallet } from "../../src/chain/transact.js";
import { CHALLENGE, CHANNEL_TARIFF, DEPOSIT } from "./channels.js";
import { deployArtifact, deployRpcMarket } from "./rpc-deploy.js";
import { sampleProfile } from "./registry.js";

export const MINTED = parseEuro("1000");

export interface Party {
  key: Hex;
  account: PrivateKeyAccount;
  wallet: Wallet;
}

export interface RpcChannel {
  chain: RpcChain;
  test: TestClient<"anvil">;
  addresses: { paymentChannels: Address; machineRegistry: Address; token: Address };
  domain: ChannelsDomain;
  client: ChannelsClient;
  layer: SettlementLayer;
  payer: Party;
  payee: Party;
  /** The machine's device key (it signs usage, never transactions). */
  deviceKey: Hex;
  machineId: bigint;
  key: ChannelKey;
  channelId: Hex;
}

export async function rpcChannel(url: string, seed: number): Promise<RpcChannel> {
  const chain = await rpcChain(url, { pollingMs: 50 });
  const test = createTestClient({ mode: "anvil", transport: http(url) });
  const party = async (label: string): Promise<Party> => {
    const key = keccak256(stringToHex(`channel kill test, seed ${seed}: ${label}`));
    const wallet = chain.wallet(key);
    await test.setBalance({ address: wallet.account.address, value: 10n ** 21n });
    return { key, account: wallet.account as PrivateKeyAccount, wallet };
  };
  const operator = await party("operator");
  const auditor = await party("auditor");
  const payer = await party("payer (the consumer's account)");
  const payee = await party("payee (the provider's account)");
  const deviceKey = keccak256(stringToHex(`channel kill test, seed ${seed}: device`));

  const {
    token,
    licenseRegistry,
    machineRegistry,
    product: paymentChannels,
    layer,
  } = await deployRpcMarket(
    chain,
    { operator: operator.wallet, auditor: auditor.wallet, provider: payee.wallet, consumer: payer.wallet },
    ({ consortium, token }) =>
      deployArtifact(chain, operator.wallet, "PaymentChannels", [token, consortium, CHALLENGE]),
    { amount: MINTED, reserveReport: "reserve report, kill test", deposit: `deposit of the payer, seed ${seed}` },
  );
  const now = Number((await chain.publicClient.getBlock()).timestamp);

  const market = new MarketRegistry(chain, { ...layer.addresses, licenseRegistry, machineRegistry });
  const machineId = await market.registerMachine(
    payee.wallet,
    sampleProfile(),
    [privateKeyToAccount(deviceKey).address],
    CHANNEL_TARIFF,
  );
  const client = new ChannelsClient(chain, { paymentChannels, token });
  const { key, channelId } = await client.open(payer.wallet, {
    payee: payee.account.address,
    salt: 1,
    deposit: DEPOSIT,
    expiresAt: now + 30 * 86400,
    challengePeriod: CHALLENGE,
  });
  return {
    chain,
    test,
    addresses: { paymentChannels, machineRegistry, token },
    domain: { chainId: chain.chainId, channels: paymentChannels },
    client,
    layer,
    payer,
    payee,
    deviceKey,
    machineId,
    key,
    channelId,
  };
}
