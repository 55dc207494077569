import {
  BaseError,
  ContractFunctionRevertedError,
  keccak256,
  parseEventLogs,
  stringToHex,
  zeroHash,
  type AbiParameter,
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
import { KeyKind, LicenseStatus, MachineKind, MachineStatus } from "../core/listing.js";
import { AccountStanding, MemberStatus, Role } from "../core/membership.js";

/** What every transaction needs besides its call: where to read, and when a transaction counts as final. */
export interface ChainContext {
  publicClient: PublicClient;
  /** Blocks to wait after inclusion (1 under QBFT / IBFT 2.0, where inclusion is final). */
  confirmations: number;
}

export type Wallet = WalletClient<Transport, Chain | undefined, Account>;

/** The contract and function a refused call went to. */
export interface RefusalTarget {
  address?: Address;
  functionName?: string;
}

/**
 * One argument of a refusal's custom error as the ABI names it: its name, Solidity type (the internal type:
 * `enum Role`, `address`), value, and the value for people (an enum member by name, a known role hash by name).
 */
export interface RefusalParam {
  name: string;
  type: string;
  value: unknown;
  display: string;
}

/** A transaction the chain refused, explained: which call, which custom error, with which arguments. */
export class TransactionRefusedError extends Error {
  /** The custom error's arguments by name (empty when the refusal carried no custom error). */
  readonly params: readonly RefusalParam[];
  readonly target: RefusalTarget;

  constructor(
    readonly call: string,
    readonly errorName: string | undefined,
    readonly errorArgs: readonly unknown[],
    message: string,
    options?: ErrorOptions & { params?: readonly RefusalParam[]; target?: RefusalTarget },
  ) {
    super(message, options);
    this.name = "TransactionRefusedError";
    this.params = options?.params ?? [];
    this.target = options?.target ?? {};
  }

  /** The custom error with its arguments named, e.g. `ConsortiumMissingRole(memberId 3, role Provider)`. */
  get named(): string | undefined {
    if (this.errorName === undefined) return undefined;
    return `${this.errorName}(${this.params.map((p) => (p.name === "" ? p.display : `${p.name} ${p.display}`)).join(", ")})`;
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
    throw explain(call, error, { address: parameters.address, functionName: String(parameters.functionName) });
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
export function explain(call: string, error: unknown, target: RefusalTarget = {}): Error {
  if (error instanceof TransactionRefusedError) return error;
  if (error instanceof BaseError) {
    const revert = error.walk((inner) => inner instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError && revert.data !== undefined) {
      const args = revert.data.args ?? [];
      const rendered = `${revert.data.errorName}(${args.map(formatArg).join(", ")})`;
      const inputs: readonly AbiParameter[] = "inputs" in revert.data.abiItem ? revert.data.abiItem.inputs : [];
      const params = args.map((value, i) => describeParam(inputs[i], value));
      return new TransactionRefusedError(call, revert.data.errorName, args, `${call} was refused: ${rendered}.`, {
        cause: error,
        params,
        target,
      });
    }
    return new TransactionRefusedError(call, undefined, [], `${call} failed: ${error.shortMessage}`, {
      cause: error,
      target,
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}

function formatArg(value: unknown): string {
  return typeof value === "bigint" ? value.toString() : String(value);
}

/** The Solidity enums a refusal may carry, by their ABI internal type: their members by value. */
const ENUMS: Record<string, Record<string, number>> = {
  "enum Role": Role,
  "enum MemberStatus": MemberStatus,
  "enum AccountStanding": AccountStanding,
  "enum MachineKind": MachineKind,
  "enum MachineStatus": MachineStatus,
  "enum KeyKind": KeyKind,
  "enum LicenseStatus": LicenseStatus,
};

/** The role hashes of the AccessControl contracts (FiatGateway), by name. */
const ROLE_HASHES = new Map<string, string>([
  [zeroHash, "DEFAULT_ADMIN_ROLE"],
  ...["MASTER_MINTER_ROLE"].map((name): [string, string] => [keccak256(stringToHex(name)), name]),
]);

function describeParam(input: AbiParameter | undefined, value: unknown): RefusalParam {
  const type = (input && "internalType" in input ? input.internalType : undefined) ?? input?.type ?? "";
  const members = ENUMS[type];
  let display = formatArg(value);
  if (members !== undefined && typeof value === "number") {
    display = Object.entries(members).find(([, v]) => v === value)?.[0] ?? display;
  } else if (type === "bytes32" && typeof value === "string") {
    display = ROLE_HASHES.get(value.toLowerCase()) ?? display;
  }
  return { name: input?.name ?? "", type, value, display };
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
