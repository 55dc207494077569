/**
 * Many contract reads in one `eth_call`, all at one block: viem's `multicall` (Multicall3's `aggregate3`).
 *
 * Multicall3 lives at its canonical address only where someone deployed it: not on Hardhat's in-process
 * network, not on anvil, and not on a consortium's private PoA chain unless its operators did. So the reads
 * are deployless by default: viem sends Multicall3's creation code with the calls in an `eth_call` without a
 * `to`, whose constructor runs them and returns their results. Nothing is deployed, any node answers it, and
 * the code has no PUSH0, so it runs on chains without Shanghai too (test/chain/multicall.ts runs it on a
 * paris chain). A chain whose definition names a Multicall3 (`chain.contracts.multicall3`) calls that one.
 *
 * What a constructor returns is checked as contract code: nodes refuse more than 24 KiB (EIP-170). So the
 * calls go in chunks that fit with room to spare, sent at once (one round trip); a chunk whose results still
 * do not fit is halved, and a single call too large for any chunk is read alone with a plain `eth_call`.
 */
import {
  ContractFunctionExecutionError,
  HttpRequestError,
  TimeoutError,
  type Client,
  type ContractFunctionParameters,
  type MulticallContracts,
  type MulticallReturnType,
  type Narrow,
  type PublicClient,
} from "viem";

/**
 * Calls per `eth_call` by default. A listing's record takes about 0.7 KiB of the response and its booking
 * terms up to 1.4 KiB, so 20 of them fit the 24 KiB a deployless response may hold (or are halved), and their
 * gas (about 40k each) stays far below what nodes allow an `eth_call` (Besu and geth: 50M by default).
 */
export const CALLS_PER_REQUEST = 20;

export interface ReadAllOptions {
  /** The block to read at (default: the latest). */
  blockNumber?: bigint;
  /** At most this many calls per `eth_call` (default CALLS_PER_REQUEST); fewer for calls that cost more. */
  callsPerRequest?: number;
}

/** Whether multicalls on this client go deployless: yes, unless its chain names a Multicall3. */
export function isDeployless(client: Client): boolean {
  return client.chain?.contracts?.multicall3 === undefined;
}

/**
 * Reads every call at one block, `callsPerRequest` calls per `eth_call`, the requests sent at once; the results
 * in the order of the calls. Throws the first call's failure (a revert, decoded against the call's ABI).
 */
export async function readAll<const contracts extends readonly unknown[]>(
  client: PublicClient,
  contracts: MulticallContracts<Narrow<contracts>>,
  options: ReadAllOptions = {},
): Promise<MulticallReturnType<contracts, false>> {
  const per = options.callsPerRequest ?? CALLS_PER_REQUEST;
  if (!(Number.isInteger(per) && per >= 1)) {
    throw new RangeError(`callsPerRequest must be a whole number from 1, not ${per}.`);
  }
  const calls = contracts as readonly ContractFunctionParameters[];
  const chunks: ContractFunctionParameters[][] = [];
  for (let at = 0; at < calls.length; at += per) chunks.push(calls.slice(at, at + per));
  const results = await Promise.all(chunks.map((chunk) => readChunk(client, chunk, options.blockNumber)));
  return results.flat() as MulticallReturnType<contracts, false>;
}

async function readChunk(
  client: PublicClient,
  calls: readonly ContractFunctionParameters[],
  blockNumber: bigint | undefined,
): Promise<unknown[]> {
  const deployless = isDeployless(client);
  try {
    // The chunks are cut here, by count (batchSize 0: viem cuts none of its own, by calldata bytes).
    return await client.multicall({ contracts: calls, allowFailure: false, blockNumber, deployless, batchSize: 0 });
  } catch (error) {
    if (!deployless || !refusedAsAWhole(error)) throw error;
    if (calls.length === 1) return [await client.readContract({ ...calls[0]!, blockNumber })];
    const half = Math.ceil(calls.length / 2);
    const halves = await Promise.all([
      readChunk(client, calls.slice(0, half), blockNumber),
      readChunk(client, calls.slice(half), blockNumber),
    ]);
    return halves.flat();
  }
}

/**
 * Whether the node refused the multicall itself (its results too large to return, its gas above the node's
 * cap), not one of its calls (those fail inside it, under their own name) and not the transport (a node that
 * cannot be reached would not answer smaller chunks either).
 */
function refusedAsAWhole(error: unknown): boolean {
  if (!(error instanceof ContractFunctionExecutionError) || error.functionName !== "aggregate3") return false;
  return !error.walk((inner) => inner instanceof HttpRequestError || inner instanceof TimeoutError);
}
