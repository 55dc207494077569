/**
 * A contract's events over a long block range, read in pages. JSON-RPC nodes cap `eth_getLogs`: Besu
 * refuses ranges of more than 5,000 blocks by default (`--rpc-max-logs-range`), other clients and
 * providers cap the range or the number of results. With a block a second, a deployment outgrows such a
 * cap in under two hours, so every reader of history in this project goes through here: it asks for
 * `[fromBlock, toBlock]` in pages of at most `pageBlocks` blocks, halves a page the node refuses as too
 * large, and returns the logs in chain order.
 */
import type {
  Abi,
  BlockNumber,
  ContractEventName,
  GetContractEventsParameters,
  GetContractEventsReturnType,
  PublicClient,
} from "viem";

/** Blocks per `eth_getLogs` call: Besu's default cap. */
export const LOG_PAGE_BLOCKS = 5_000n;

/** Words with which nodes refuse a range or result set that is too large. */
const TOO_LARGE = /range|too (many|large|big)|limit|exceed|more than|query returned|response size/i;

export type PagedEventsParameters<
  abi extends Abi | readonly unknown[],
  eventName extends ContractEventName<abi> | undefined,
  strict extends boolean | undefined,
> = Omit<GetContractEventsParameters<abi, eventName, strict>, "fromBlock" | "toBlock" | "blockHash"> & {
  fromBlock: bigint;
  /** Default: the latest block when the call starts. */
  toBlock?: bigint;
};

export async function contractEvents<
  const abi extends Abi | readonly unknown[],
  eventName extends ContractEventName<abi> | undefined = undefined,
  strict extends boolean | undefined = undefined,
>(
  client: PublicClient,
  parameters: PagedEventsParameters<abi, eventName, strict>,
  pageBlocks: bigint = LOG_PAGE_BLOCKS,
): Promise<GetContractEventsReturnType<abi, eventName, strict, BlockNumber, BlockNumber>> {
  if (pageBlocks < 1n) throw new RangeError(`pageBlocks must be at least 1, not ${pageBlocks}.`);
  const last = parameters.toBlock ?? (await client.getBlockNumber({ cacheTime: 0 }));
  const out: GetContractEventsReturnType<abi, eventName, strict, BlockNumber, BlockNumber> = [];
  let page = pageBlocks;
  for (let from = parameters.fromBlock; from <= last;) {
    const to = from + page - 1n < last ? from + page - 1n : last;
    let logs: typeof out;
    try {
      logs = (await client.getContractEvents({
        ...(parameters as GetContractEventsParameters<abi, eventName, strict>),
        fromBlock: from,
        toBlock: to,
      } as GetContractEventsParameters<abi, eventName, strict, BlockNumber, BlockNumber>)) as typeof out;
    } catch (error) {
      if (page > 1n && TOO_LARGE.test(messageOf(error))) {
        page /= 2n;
        continue;
      }
      throw error;
    }
    out.push(...logs);
    from = to + 1n;
  }
  return out;
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const details = (error as { details?: unknown }).details;
  return `${error.message} ${typeof details === "string" ? details : ""}`;
}
