/** A consumer opens an escrowed order on a machine, or a payment channel to a provider. */
import type { Address, Hex } from "viem";

import { listChoices } from "../core/errors.js";
import { capabilityName, capabilityTag } from "../core/vocabulary.js";
import type { Listing } from "../contracts/registries.js";
import { formatEuro } from "../core/money.js";
import type { Wallet } from "../chain/transact.js";
import { chainTime, clients, OpsInputError, type Ops } from "./context.js";

export interface OrderInput {
  machineId: bigint;
  budget: bigint;
  /** Seconds from now (by the chain's clock) until the order expires. */
  expiresIn: number;
  disputeWindow: number;
  /** The capability booked (optional; recorded for the provider's statistics). */
  capability?: string;
}

export interface OpenedOrder {
  orderId: bigint;
  machineId: bigint;
  provider: bigint;
  tariffVersion: number;
  budget: bigint;
  expiresAt: number;
  disputeWindow: number;
  transaction: Hex;
}

async function requireFunds(ops: Ops, payer: Address, amount: bigint, what: string): Promise<void> {
  const balance = await clients(ops).layer.balanceOf(payer);
  if (balance < amount) {
    throw new OpsInputError(
      `${what} needs ${formatEuro(amount)} EUR but ${payer} holds ${formatEuro(balance)} EUR; ` +
        "mint against a bank deposit or transfer to this account first, or lower the amount.",
    );
  }
}

/** The tag of `capability` if the listing offers it; else an error naming what the listing offers. */
function offered(listing: Listing, capability: string): Hex {
  const tag = capabilityTag(capability);
  if (listing.capabilities.includes(tag)) return tag;
  const offers = listing.capabilities.map((t) => capabilityName(t));
  throw new OpsInputError(
    `Listing ${listing.machineId} does not offer "${capability}"; it offers ${listChoices(offers, "and")}.`,
    {
      code: "order.capabilityNotOffered",
      input: { name: "--capability", value: capability },
      hint: `Book one of those, or find a listing that offers it (capacity machine find --capability ${capability}).`,
    },
  );
}

/** Books the machine under the tariff in force now and escrows the budget (an approval and the order). */
export async function openOrder(ops: Ops, consumer: Wallet, input: OrderInput): Promise<OpenedOrder> {
  if (input.budget === 0n)
    throw new OpsInputError("--budget must be more than 0 EUR: it is the escrow reports draw on.");
  const { market, meter } = clients(ops);
  const listing = await market.listing(input.machineId).catch((error: unknown) => {
    throw new OpsInputError(`${(error as Error).message} Find one with \`capacity machine find --capability …\`.`);
  });
  if (!(await market.isBookable(input.machineId))) {
    throw new OpsInputError(
      `Listing ${input.machineId} cannot be booked now (paused, retired, or its provider is not in good standing); ` +
        "find another with `capacity machine find`.",
    );
  }
  const capability = input.capability === undefined ? undefined : offered(listing, input.capability);
  const terms = await market.bookingTerms(input.machineId);
  await requireFunds(ops, consumer.account.address, input.budget, "The order's budget");
  const expiresAt = (await chainTime(ops)) + input.expiresIn;
  const { orderId, receipt } = await meter.openOrder(consumer, {
    machineId: input.machineId,
    tariffVersion: terms.tariffVersion,
    budget: input.budget,
    expiresAt,
    disputeWindow: input.disputeWindow,
    capability,
    licenseVersions: terms.licenseVersions,
  });
  return {
    orderId,
    machineId: input.machineId,
    provider: listing.provider,
    tariffVersion: terms.tariffVersion,
    budget: input.budget,
    expiresAt,
    disputeWindow: input.disputeWindow,
    transaction: receipt.transactionHash,
  };
}

export interface ChannelInput {
  payee: Address;
  deposit: bigint;
  expiresIn: number;
  /** Seconds; default the contract's minimum. */
  challengePeriod?: number;
  salt?: number;
}

export interface OpenedChannel {
  channelId: Hex;
  payer: Address;
  payee: Address;
  nonce: bigint;
  deposit: bigint;
  expiresAt: number;
  challengePeriod: number;
  transaction: Hex;
}

/** Opens a one-way channel from the wallet to `payee` with an EIP-2612 permit for the deposit (one transaction). */
export async function openChannel(ops: Ops, payer: Wallet, input: ChannelInput): Promise<OpenedChannel> {
  if (input.deposit === 0n) throw new OpsInputError("--deposit must be more than 0 EUR.");
  const { layer, channels } = clients(ops);
  const payee = await layer.memberOf(input.payee);
  if (payee.memberId === 0n || !payee.active) {
    throw new OpsInputError(`The payee ${input.payee} is not an active member account; check --payee.`);
  }
  const minimum = await channels.minChallengePeriod();
  const challengePeriod = input.challengePeriod ?? minimum;
  if (challengePeriod < minimum) {
    throw new OpsInputError(
      `--challenge-period must be at least ${minimum} s, the contract's minimum; got ${challengePeriod}.`,
    );
  }
  await requireFunds(ops, payer.account.address, input.deposit, "The channel's deposit");
  const now = await chainTime(ops);
  const expiresAt = now + input.expiresIn;
  const opened = await channels.openWithPermit(
    payer,
    { payee: input.payee, salt: input.salt ?? 1, deposit: input.deposit, expiresAt, challengePeriod },
    BigInt(now + 3600),
  );
  return {
    channelId: opened.channelId,
    payer: opened.key.payer,
    payee: opened.key.payee,
    nonce: opened.key.nonce,
    deposit: input.deposit,
    expiresAt,
    challengePeriod,
    transaction: opened.receipt.transactionHash,
  };
}
