/**
 * Issuing the euro token against bank deposits: the master minter sets a minter's allowance, an auditor
 * attests the fiat reserve, and a minter mints against one bank deposit (once per bank reference, within its
 * allowance, never above the reserve attested last). Each job checks what the FiatGateway would refuse first
 * and says what to do instead.
 */
import type { Address, Hex } from "viem";

import { fiatGatewayAbi } from "../generated/abis.js";
import { formatEuro } from "../core/money.js";
import type { MintOutcome } from "../contracts/settlement.js";
import type { Wallet } from "../chain/transact.js";
import { chainTime, clients, OpsInputError, type Ops } from "./context.js";

export interface MinterConfigured {
  minter: Address;
  allowance: bigint;
  transaction: Hex;
}

/** The master minter makes `minter` a minter with `allowance` left to mint (replacing what it had left). */
export async function configureMinter(
  ops: Ops,
  masterMinter: Wallet,
  minter: Address,
  allowance: bigint,
): Promise<MinterConfigured> {
  const receipt = await clients(ops).layer.configureMinter(masterMinter, minter, allowance);
  return { minter, allowance, transaction: receipt.transactionHash };
}

export interface ReserveAttested {
  reserve: bigint;
  asOf: number;
  reportHash: Hex;
  supply: bigint;
  transaction: Hex;
}

/** An auditor attests the fiat reserve as of `asOf` (default: the chain's time now), with its report's hash. */
export async function attestReserve(
  ops: Ops,
  auditor: Wallet,
  input: { reserve: bigint; reportHash: Hex; asOf?: number },
): Promise<ReserveAttested> {
  const { layer } = clients(ops);
  const now = await chainTime(ops);
  const asOf = input.asOf ?? now;
  if (asOf > now) {
    throw new OpsInputError(`--as-of ${asOf} is in the future of the chain (${now}); an attestation states the past.`);
  }
  const last = await layer.attestedReserve();
  if (asOf <= last.asOf) {
    throw new OpsInputError(
      `The reserve was attested last as of ${last.asOf}; a new attestation must be dated later (--as-of, or wait a block).`,
    );
  }
  const supply = await layer.totalSupply();
  const receipt = await layer.attestReserve(auditor, input.reserve, asOf, input.reportHash);
  return { reserve: input.reserve, asOf, reportHash: input.reportHash, supply, transaction: receipt.transactionHash };
}

export interface Minted {
  to: Address;
  amount: bigint;
  bankRef: Hex;
  /** "minted" now, or "already minted": this deposit had minted the same amount to the same account before. */
  status: "minted" | "already minted";
  allowanceLeft: bigint;
  transaction?: Hex;
}

/** A minter mints `amount` to `to` against the bank deposit `bankRef`; retrying the same deposit mints nothing. */
export async function mint(
  ops: Ops,
  minter: Wallet,
  input: { to: Address; amount: bigint; bankRef: Hex },
): Promise<Minted> {
  if (input.amount === 0n) throw new OpsInputError("--amount must be more than 0 EUR.");
  const { layer } = clients(ops);
  const gateway = { address: ops.addresses.gateway, abi: fiatGatewayAbi } as const;
  const allowanceOf = (account: Address) =>
    ops.chain.publicClient.readContract({ ...gateway, functionName: "minterAllowance", args: [account] });
  const account = minter.account.address;
  const existing = await ops.chain.publicClient.readContract({
    ...gateway,
    functionName: "mintOf",
    args: [input.bankRef],
  });
  if (existing.amount === 0n) {
    if (!(await ops.chain.publicClient.readContract({ ...gateway, functionName: "isMinter", args: [account] }))) {
      throw new OpsInputError(
        `${account} is no minter; the master minter makes it one (capacity treasury configure-minter).`,
      );
    }
    const allowance = await allowanceOf(account);
    if (allowance < input.amount) {
      throw new OpsInputError(
        `Minter ${account} may mint ${formatEuro(allowance)} EUR more, less than ${formatEuro(input.amount)} EUR; ` +
          "the master minter raises its allowance (capacity treasury configure-minter).",
      );
    }
    const [supply, { reserve }] = await Promise.all([layer.totalSupply(), layer.attestedReserve()]);
    if (supply + input.amount > reserve) {
      throw new OpsInputError(
        `Minting ${formatEuro(input.amount)} EUR would bring the supply to ${formatEuro(supply + input.amount)} EUR, ` +
          `above the reserve attested last (${formatEuro(reserve)} EUR); an auditor attests the reserve first (capacity treasury attest-reserve).`,
      );
    }
  }
  let outcome: MintOutcome;
  try {
    outcome = await layer.mintForDeposit(minter, input.to, input.amount, input.bankRef);
  } catch (error) {
    // The same bank reference minted something else: two deposits were given one reference.
    if ((error as Error).message.includes("already minted")) throw new OpsInputError((error as Error).message);
    throw error;
  }
  const allowanceLeft = await allowanceOf(account);
  return {
    to: input.to,
    amount: input.amount,
    bankRef: input.bankRef,
    status: outcome.status === "minted" ? "minted" : "already minted",
    allowanceLeft,
    ...(outcome.status === "minted" ? { transaction: outcome.receipt.transactionHash } : {}),
  };
}
