import { getContract, hexToSignature, type Address, type Hex, type TransactionReceipt } from "viem";

import { consortiumAbi, fiatGatewayAbi, settlementTokenAbi } from "../generated/abis.js";
import { formatEuro } from "../core/money.js";
import { eventOf, transact, type ChainContext, type SettlementAddresses, type Wallet } from "../chain/transact.js";
import { permitTypes, tokenDomain } from "../core/typed-data.js";

/** How long a permit signed by the SDK stays valid. */
const PERMIT_LIFETIME_SECONDS = 3600n;

export type MintOutcome =
  { status: "minted"; receipt: TransactionReceipt } | { status: "alreadyMinted"; to: Address; amount: bigint };

/**
 * The settlement layer seen from off-chain: typed reads and the everyday transactions of operators,
 * members, minters and auditors. Every write is simulated first, so a refusal arrives as a
 * TransactionRefusedError naming the contract's custom error and its arguments.
 */
export class SettlementLayer {
  readonly #consortium;
  readonly #token;
  readonly #gateway;

  constructor(
    readonly chain: ChainContext,
    readonly addresses: SettlementAddresses,
  ) {
    const client = chain.publicClient;
    this.#consortium = getContract({ address: addresses.consortium, abi: consortiumAbi, client });
    this.#token = getContract({ address: addresses.token, abi: settlementTokenAbi, client });
    this.#gateway = getContract({ address: addresses.gateway, abi: fiatGatewayAbi, client });
  }

  /* ------------------------------------------------------------------ reads */

  async memberOf(account: Address): Promise<{ memberId: bigint; active: boolean }> {
    const [memberId, active] = await this.#consortium.read.memberOf([account]);
    return { memberId, active };
  }

  async member(memberId: bigint) {
    return this.#consortium.read.getMember([memberId]);
  }

  async accountsOf(memberId: bigint): Promise<readonly Address[]> {
    return this.#consortium.read.accountsOf([memberId]);
  }

  async memberCount(): Promise<bigint> {
    return this.#consortium.read.memberCount();
  }

  async currentAgreement(): Promise<{ version: number; hash: Hex }> {
    const [version, hash] = await this.#consortium.read.currentAgreement();
    return { version, hash };
  }

  async balanceOf(account: Address): Promise<bigint> {
    return this.#token.read.balanceOf([account]);
  }

  async totalSupply(): Promise<bigint> {
    return this.#token.read.totalSupply();
  }

  async attestedReserve(): Promise<{ reserve: bigint; asOf: number }> {
    const [reserve, asOf] = await this.#gateway.read.attestedReserve();
    return { reserve, asOf };
  }

  async pendingRedemptions(): Promise<bigint> {
    return this.#gateway.read.pendingTotal();
  }

  /* ------------------------------------------------------------ operators */

  /** Admits a company and returns its member id. */
  async admit(operator: Wallet, accounts: readonly Address[], roles: number, metadataHash: Hex): Promise<bigint> {
    const receipt = await transact(this.chain, operator, {
      address: this.addresses.consortium,
      abi: consortiumAbi,
      functionName: "admit",
      args: [accounts, roles, metadataHash],
    });
    const admitted = eventOf("admit", receipt, consortiumAbi, "MemberAdmitted");
    return admitted.args.memberId;
  }

  async markRedemptionPaid(operator: Wallet, redemptionId: bigint, bankTxRef: Hex): Promise<TransactionReceipt> {
    return transact(this.chain, operator, {
      address: this.addresses.gateway,
      abi: fiatGatewayAbi,
      functionName: "markRedemptionPaid",
      args: [redemptionId, bankTxRef],
    });
  }

  async rejectRedemption(operator: Wallet, redemptionId: bigint, reasonHash: Hex): Promise<TransactionReceipt> {
    return transact(this.chain, operator, {
      address: this.addresses.gateway,
      abi: fiatGatewayAbi,
      functionName: "rejectRedemption",
      args: [redemptionId, reasonHash],
    });
  }

  /* --------------------------------------------------------------- members */

  /** Accepts the framework agreement currently in force for the wallet's member. */
  async acceptCurrentAgreement(member: Wallet): Promise<TransactionReceipt> {
    const { hash } = await this.currentAgreement();
    return transact(this.chain, member, {
      address: this.addresses.consortium,
      abi: consortiumAbi,
      functionName: "acceptAgreement",
      args: [hash],
    });
  }

  async transfer(from: Wallet, to: Address, amount: bigint): Promise<TransactionReceipt> {
    return transact(this.chain, from, {
      address: this.addresses.token,
      abi: settlementTokenAbi,
      functionName: "transfer",
      args: [to, amount],
    });
  }

  /**
   * Asks to redeem `amount` for a bank payout in one transaction (EIP-2612 permit signed by the wallet)
   * and returns the redemption id.
   */
  async requestRedemption(member: Wallet, amount: bigint, payoutRef: Hex): Promise<bigint> {
    const owner = member.account.address;
    const [name, nonce, chainId, block] = await Promise.all([
      this.#token.read.name(),
      this.#token.read.nonces([owner]),
      this.chain.publicClient.getChainId(),
      this.chain.publicClient.getBlock(),
    ]);
    const deadline = block.timestamp + PERMIT_LIFETIME_SECONDS;
    const signature = await member.signTypedData({
      domain: tokenDomain(name, chainId, this.addresses.token),
      types: permitTypes,
      primaryType: "Permit",
      message: { owner, spender: this.addresses.gateway, value: amount, nonce, deadline },
    });
    const { r, s, v, yParity } = hexToSignature(signature);
    const receipt = await transact(this.chain, member, {
      address: this.addresses.gateway,
      abi: fiatGatewayAbi,
      functionName: "requestRedemptionWithPermit",
      args: [amount, payoutRef, deadline, Number(v ?? BigInt(yParity + 27)), r, s],
    });
    const requested = eventOf("redemption request", receipt, fiatGatewayAbi, "RedemptionRequested");
    return requested.args.redemptionId;
  }

  /* ------------------------------------------------------- issuer and audit */

  async configureMinter(masterMinter: Wallet, minter: Address, allowance: bigint): Promise<TransactionReceipt> {
    return transact(this.chain, masterMinter, {
      address: this.addresses.gateway,
      abi: fiatGatewayAbi,
      functionName: "configureMinter",
      args: [minter, allowance],
    });
  }

  async attestReserve(auditor: Wallet, reserve: bigint, asOf: number, reportHash: Hex): Promise<TransactionReceipt> {
    return transact(this.chain, auditor, {
      address: this.addresses.gateway,
      abi: fiatGatewayAbi,
      functionName: "attestReserve",
      args: [reserve, asOf, reportHash],
    });
  }

  /**
   * Mints against a bank deposit, safe to retry: a deposit whose reference already minted the same amount
   * to the same account reports `alreadyMinted`; one that minted something else is refused with both
   * versions named, because that means two different deposits were given the same reference.
   */
  async mintForDeposit(minter: Wallet, to: Address, amount: bigint, bankRef: Hex): Promise<MintOutcome> {
    const existing = await this.#gateway.read.mintOf([bankRef]);
    if (existing.amount !== 0n) {
      if (existing.to.toLowerCase() === to.toLowerCase() && existing.amount === amount) {
        return { status: "alreadyMinted", to: existing.to, amount: existing.amount };
      }
      throw new Error(
        `Bank reference ${bankRef} already minted ${formatEuro(existing.amount)} EUR to ${existing.to}; ` +
          `this deposit asks for ${formatEuro(amount)} EUR to ${to}. Check the bank statement: each deposit needs its own reference.`,
      );
    }
    const receipt = await transact(this.chain, minter, {
      address: this.addresses.gateway,
      abi: fiatGatewayAbi,
      functionName: "mint",
      args: [to, amount, bankRef],
    });
    return { status: "minted", receipt };
  }
}
