/**
 * A member's accounts and tokens: the member adds an account (a new key, a department) or removes one (its
 * tokens move to the account that removes it), and members transfer tokens to each other or between their
 * own accounts. What the Consortium or the token would refuse is checked first and said plainly.
 */
import { getAddress, isAddressEqual, type Address, type Hex } from "viem";

import { consortiumAbi } from "../generated/abis.js";
import { formatEuro } from "../core/money.js";
import { transact, type Wallet } from "../chain/transact.js";
import { clients, OpsInputError, type Ops } from "./context.js";
import { memberIdOf } from "./members.js";

export interface AccountChange {
  memberId: bigint;
  account: Address;
  action: "added" | "removed";
  nothingToDo: boolean;
  /** The member's active accounts afterwards. */
  accounts: Address[];
  transaction: Hex | null;
}

/** The wallet's own active member, or an error saying the key is no member's. */
async function ownMember(ops: Ops, wallet: Wallet): Promise<bigint> {
  const { memberId, active } = await clients(ops).layer.memberOf(wallet.account.address);
  if (memberId === 0n || !active) {
    throw new OpsInputError(`${wallet.account.address} is no active member account.`, {
      code: "account.notMember",
      hint: "Sign with a key of the member whose accounts change ($OPS_PRIVATE_KEY).",
    });
  }
  return memberId;
}

/** The wallet's member adds `account`: a key that never belonged to a member. */
export async function addAccount(ops: Ops, member: Wallet, account: Address): Promise<AccountChange> {
  const memberId = await ownMember(ops, member);
  const { layer } = clients(ops);
  const owner = await layer.memberOf(account);
  const input = { name: "--account", value: account };
  let transaction: Hex | null = null;
  if (owner.memberId === memberId && owner.active) {
    // Already one of the member's accounts: nothing to do.
  } else if (owner.memberId !== 0n) {
    throw new OpsInputError(
      `${account} ${owner.memberId === memberId ? "was removed from" : "belongs to"} member ${owner.memberId}.`,
      { code: "account.taken", input, hint: "An account serves one member once; make a new key for the member." },
    );
  } else {
    const receipt = await transact(ops.chain, member, {
      address: ops.addresses.consortium,
      abi: consortiumAbi,
      functionName: "addAccount",
      args: [account],
    });
    transaction = receipt.transactionHash;
  }
  const accounts = [...(await layer.accountsOf(memberId))];
  return { memberId, account, action: "added", nothingToDo: transaction === null, accounts, transaction };
}

/** The wallet's member removes one of its accounts; its tokens move to the wallet (or to the first one left). */
export async function removeAccount(ops: Ops, member: Wallet, account: Address): Promise<AccountChange> {
  const memberId = await ownMember(ops, member);
  const { layer } = clients(ops);
  const owner = await layer.memberOf(account);
  const input = { name: "--account", value: account };
  let transaction: Hex | null = null;
  if (owner.memberId !== memberId) {
    throw new OpsInputError(
      `${account} is no account of member ${memberId}` +
        (owner.memberId === 0n ? "." : ` (it belongs to member ${owner.memberId}).`),
      { code: "account.notOwn", input, hint: "A member removes only its own accounts." },
    );
  }
  if (owner.active) {
    const accounts = await layer.accountsOf(memberId);
    if (accounts.length === 1) {
      throw new OpsInputError(`${account} is the last account of member ${memberId}.`, {
        code: "account.last",
        input,
        hint: "Add another account first (capacity account add), or leave the consortium (capacity member exit).",
      });
    }
    const receipt = await transact(ops.chain, member, {
      address: ops.addresses.consortium,
      abi: consortiumAbi,
      functionName: "removeAccount",
      args: [account],
    });
    transaction = receipt.transactionHash;
  }
  const accounts = [...(await layer.accountsOf(memberId))];
  return { memberId, account, action: "removed", nothingToDo: transaction === null, accounts, transaction };
}

export interface Transfer {
  from: Address;
  to: Address;
  fromMember: bigint;
  toMember: bigint;
  /** Between two accounts of the same member. */
  internal: boolean;
  amount: bigint;
  transaction: Hex;
}

/**
 * Transfers `amount` from the wallet to `to`, an active account of any member in good standing (tokens move
 * only between members). `toMember` sends to that member's first account instead.
 */
export async function transferTokens(
  ops: Ops,
  sender: Wallet,
  input: { to?: Address; toMember?: bigint; amount: bigint },
): Promise<Transfer> {
  if (input.amount === 0n) throw new OpsInputError("--amount must be more than 0 EUR.", { code: "amount.zero" });
  const { layer } = clients(ops);
  const from = sender.account.address;
  const fromMember = await ownMember(ops, sender);
  const to = await recipient(ops, input);
  if (isAddressEqual(to, from)) {
    throw new OpsInputError(`${to} is the sending account itself.`, {
      code: "transfer.toSelf",
      input: { name: "--to", value: to },
      hint: "Name another account of the member, or another member's account.",
    });
  }
  const toMember = (await layer.memberOf(to)).memberId;
  const balance = await layer.balanceOf(from);
  if (balance < input.amount) {
    throw new OpsInputError(
      `${from} holds ${formatEuro(balance)} EUR, less than the ${formatEuro(input.amount)} EUR to transfer.`,
      { code: "transfer.insufficient", hint: "Transfer less, or mint against a bank deposit first." },
    );
  }
  const receipt = await layer.transfer(sender, to, input.amount);
  return {
    from,
    to,
    fromMember,
    toMember,
    internal: fromMember === toMember,
    amount: input.amount,
    transaction: receipt.transactionHash,
  };
}

async function recipient(ops: Ops, input: { to?: Address; toMember?: bigint }): Promise<Address> {
  const { layer } = clients(ops);
  if (input.to !== undefined && input.toMember !== undefined) {
    throw new OpsInputError("Give --to or --to-member, not both.", { code: "transfer.twoRecipients" });
  }
  if (input.toMember !== undefined) {
    await memberIdOf(ops, { memberId: input.toMember }, { memberFlag: "--to-member" });
    const [first] = await layer.accountsOf(input.toMember);
    if (first === undefined) throw new OpsInputError(`Member ${input.toMember} has no active account.`);
    return getAddress(first);
  }
  if (input.to === undefined) {
    throw new OpsInputError("Say who receives the tokens: --to ACCOUNT or --to-member ID.", {
      code: "transfer.noRecipient",
    });
  }
  const owner = await layer.memberOf(input.to);
  if (owner.memberId === 0n || !owner.active) {
    throw new OpsInputError(`${input.to} is no active member account; tokens move only between members.`, {
      code: "transfer.notMember",
      input: { name: "--to", value: input.to },
      hint: "Check the address (capacity member balances --all lists every member's accounts).",
    });
  }
  return input.to;
}
