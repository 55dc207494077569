import {
  BaseError,
  ContractFunctionRevertedError,
  parseEventLogs,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type ContractEventName,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type ParseEventLogsReturnType,
  type PublicClient,
  type SimulateContractParameters,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";

import { settlementErrorsAbi } from "../generated/abis.js";

/** What every transaction needs besides its call: where to read, and when a transaction counts as final. */
export interface ChainContext {
  publicClient: PublicClient;
  /** Blocks to wait after inclusion (1 under QBFT / IBFT 2.0, where inclusion is final). */
  confirmations: number;
}

export type Wallet = WalletClient<Transport, Chain | undefined, Account>;

/** A transaction the chain refused, explained: which call, which custom error, with which arguments. */
export class TransactionRefusedError extends Error {
  constructor(
    readonly call: string,
    readonly errorName: string | undefined,
    readonly errorArgs: readonly unknown[],
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "TransactionRefusedError";
  }
}

type Mutability = "nonpayable" | "payable";

/**
 * Simulates a contract call (so a refusal is reported with its custom error before anything is sent),
 * sends it from `wallet`, waits for the configured confirmations and returns the receipt.
 */
export async function transact<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, Mutability>,
  const args extends ContractFunctionArgs<abi, Mutability, functionName>,
>(
  chain: ChainContext,
  wallet: Wallet,
  parameters: Omit<SimulateContractParameters<abi, functionName, args>, "account" | "chain">,
): Promise<TransactionReceipt> {
  const call = `${String(parameters.functionName)} on ${parameters.address}`;
  try {
    // The cast only widens the ABI by the errors other contracts may bubble up; the call itself is typed above.
    const { request } = await chain.publicClient.simulateContract({
      ...parameters,
      abi: [...parameters.abi, ...settlementErrorsAbi],
      account: wallet.account,
    } as unknown as SimulateContractParameters);
    const hash = await wallet.writeContract(request);
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash, confirmations: chain.confirmations });
    if (receipt.status !== "success") {
      throw new TransactionRefusedError(call, undefined, [], `${call} was mined but reverted (tx ${hash}).`);
    }
    return receipt;
  } catch (error) {
    throw explain(call, error);
  }
}

/** The first `eventName` event in a receipt: what a transaction reports back (a new id, a version). */
export function eventOf<const abi extends Abi, eventName extends ContractEventName<abi>>(
  call: string,
  receipt: TransactionReceipt,
  abi: abi,
  eventName: eventName,
): ParseEventLogsReturnType<abi, eventName, true>[number] {
  const [event] = parseEventLogs({ abi, logs: receipt.logs, eventName });
  if (event === undefined)
    throw new Error(`${call} succeeded but emitted no ${eventName} (tx ${receipt.transactionHash}).`);
  return event;
}

/** Turns a viem error into a TransactionRefusedError naming the custom error and its arguments. */
export function explain(call: string, error: unknown): Error {
  if (error instanceof TransactionRefusedError) return error;
  if (error instanceof BaseError) {
    const revert = error.walk((inner) => inner instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError && revert.data !== undefined) {
      const args = revert.data.args ?? [];
      const rendered = `${revert.data.errorName}(${args.map(formatArg).join(", ")})`;
      return new TransactionRefusedError(call, revert.data.errorName, args, `${call} was refused: ${rendered}.`, {
        cause: error,
      });
    }
    return new TransactionRefusedError(call, undefined, [], `${call} failed: ${error.shortMessage}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

function formatArg(value: unknown): string {
  return typeof value === "bigint" ? value.toString() : String(value);
}

/** The addresses of one deployment of the settlement layer. */
export interface SettlementAddresses {
  consortium: Address;
  token: Address;
  gateway: Address;
}

/** Where the whole system lives: the settlement layer and the registries. */
export interface MarketAddresses extends SettlementAddresses {
  licenseRegistry: Address;
  machineRegistry: Address;
  usageMeter: Address;
  readingVerifier: Address;
  paymentChannels: Address;
}
