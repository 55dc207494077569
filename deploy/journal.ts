/**
 * What a deployment killed at the wrong moment leaves in Ignition's journal, and how the next run resumes
 * from it without sending anything twice.
 *
 * Ignition writes, per transaction: TRANSACTION_PREPARE_SEND (the nonce it is about to use), then sends,
 * then TRANSACTION_SEND (the hash). A kill can land at any point; three of them leave a journal Ignition
 * refuses to resume from on its own:
 * - a last line cut off in the middle of its write;
 * - a future whose only record is its initialisation (nothing was prepared for it);
 * - a transaction prepared but not recorded as sent. Ignition then stops with HHE10410 and asks for the
 *   hash with `ignition track-tx`, since it cannot tell whether the node received the transaction.
 * The first two are repaired by {@link repairJournal}, the third by {@link recoverUnrecordedSends}.
 */
import { existsSync } from "node:fs";
import { appendFile, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { trackTransaction, type EIP1193Provider } from "@nomicfoundation/ignition-core";
import { createPublicClient, custom, getAddress, type Address, type Hash, type PublicClient } from "viem";

interface JournalRecord {
  type?: string;
  futureId?: string;
  from?: string;
  networkInteractionId?: number;
  nonce?: number;
  receipt?: { blockNumber?: number };
}

interface Journal {
  records: { line: string; record: JournalRecord }[];
  /** Whether the last line was cut off mid-write (and is not among the records). */
  tornLastLine: boolean;
}

/** The journal's records; none for a deployment that has no journal (yet). */
async function readJournal(file: string): Promise<Journal> {
  if (!existsSync(file)) return { records: [], tornLastLine: false };
  const lines = (await readFile(file, "utf8")).split("\n").filter((line) => line.trim() !== "");
  const records: Journal["records"] = [];
  let tornLastLine = false;
  for (const [i, line] of lines.entries()) {
    try {
      records.push({ line, record: JSON.parse(line) as JournalRecord });
    } catch (error) {
      if (i !== lines.length - 1)
        throw new Error(`Ignition's journal ${file} is corrupt at line ${i + 1}.`, { cause: error });
      tornLastLine = true;
    }
  }
  return { records, tornLastLine };
}

/**
 * Repairs a journal whose last line was cut off in the middle of its write, or that ends with futures whose
 * only record is their initialisation (killed before Ignition prepared a transaction for them, so nothing
 * was sent for them). Both are dropped, and Ignition runs those futures afresh. Returns what it dropped, in
 * words; a journal without such records is left untouched.
 */
export async function repairJournal(file: string): Promise<string[]> {
  const { records, tornLastLine } = await readJournal(file);
  const repaired: string[] = [];
  if (tornLastLine) repaired.push("dropped the journal's last line, cut off when the deployment was killed");
  const recordsOf = new Map<string, number>();
  for (const { record } of records) {
    if (record.futureId !== undefined) recordsOf.set(record.futureId, (recordsOf.get(record.futureId) ?? 0) + 1);
  }
  const orphan = (record: JournalRecord) =>
    record.futureId !== undefined &&
    record.type?.endsWith("_EXECUTION_STATE_INITIALIZE") === true &&
    recordsOf.get(record.futureId) === 1;
  for (const { record } of records.filter(({ record }) => orphan(record))) {
    repaired.push(`${record.futureId} had not sent anything yet and starts again`);
  }
  if (repaired.length === 0) return [];
  const kept = records.filter(({ record }) => !orphan(record)).map(({ line }) => `${line}\n`);
  await writeFile(`${file}.repair`, kept.join(""));
  await rename(`${file}.repair`, file);
  return repaired;
}

/**
 * The block of a deployment's first confirmed transaction, from its journal: no event of the deployment
 * is older, so event queries start there instead of at block 0. Undefined without a journal or before
 * anything was confirmed.
 */
export async function firstConfirmedBlock(file: string): Promise<bigint | undefined> {
  let first: bigint | undefined;
  for (const { record } of (await readJournal(file)).records) {
    if (record.type !== "TRANSACTION_CONFIRM" || record.receipt?.blockNumber === undefined) continue;
    const block = BigInt(record.receipt.blockNumber);
    if (first === undefined || block < first) first = block;
  }
  return first;
}

/** A transaction Ignition prepared (and gave a nonce) but did not record as sent. */
export interface UnrecordedSend {
  futureId: string;
  networkInteractionId: number;
  from: Address;
  nonce: number;
  /** The highest block holding a transaction of the same sender that the journal records as confirmed. */
  fromBlock: bigint;
}

/** The transactions of a journal that were prepared but never recorded as sent, oldest first. */
export async function unrecordedSends(file: string): Promise<UnrecordedSend[]> {
  const { records } = await readJournal(file);
  const senderOf = new Map<string, Address>();
  const lastConfirmedBlock = new Map<Address, bigint>();
  const open = new Map<string, Omit<UnrecordedSend, "fromBlock">>();
  for (const { record } of records) {
    const { futureId, networkInteractionId } = record;
    if (futureId === undefined) continue;
    const key = `${futureId}\n${networkInteractionId}`;
    if (record.type?.endsWith("_EXECUTION_STATE_INITIALIZE") === true && record.from !== undefined) {
      senderOf.set(futureId, getAddress(record.from));
    } else if (record.type === "TRANSACTION_PREPARE_SEND") {
      const from = senderOf.get(futureId);
      if (from === undefined || networkInteractionId === undefined || record.nonce === undefined) {
        throw new Error(`Ignition's journal ${file} prepares a transaction for ${futureId} it never initialised.`);
      }
      open.set(key, { futureId, networkInteractionId, from, nonce: record.nonce });
    } else if (record.type === "TRANSACTION_SEND" || record.type === "ONCHAIN_INTERACTION_REPLACED_BY_USER") {
      open.delete(key);
    } else if (record.type === "TRANSACTION_CONFIRM" && record.receipt?.blockNumber !== undefined) {
      const from = senderOf.get(futureId);
      const block = BigInt(record.receipt.blockNumber);
      if (from !== undefined && block > (lastConfirmedBlock.get(from) ?? 0n)) lastConfirmedBlock.set(from, block);
    }
  }
  return [...open.values()].map((send) => ({ ...send, fromBlock: lastConfirmedBlock.get(send.from) ?? 0n }));
}

export interface FindOptions {
  /** How long to wait for a transaction still in the node's pool to be mined. */
  timeoutMs?: number;
  pollIntervalMs?: number;
  /** How many blocks to read one by one when the node cannot answer nonce queries at past blocks. */
  maxBlocksToScan?: number;
}

/**
 * Finds the hash of the transaction `from` sent with `nonce`, mined at or after `fromBlock`. Waits (up to
 * `timeoutMs`) while it is still in the node's pool. Finds its block by bisecting the sender's nonce over
 * the blocks (a few dozen calls however long the chain); on a node that keeps no state for past blocks it
 * reads the blocks one by one from the newest instead, at most `maxBlocksToScan` of them.
 */
export async function findTransactionByNonce(
  client: PublicClient,
  from: Address,
  nonce: number,
  fromBlock: bigint,
  options: FindOptions = {},
): Promise<Hash> {
  const { timeoutMs = 120_000, pollIntervalMs = 1_000, maxBlocksToScan = 10_000 } = options;
  const deadline = Date.now() + timeoutMs;
  const countAt = (blockNumber: bigint) => client.getTransactionCount({ address: from, blockNumber });
  let latest = await client.getBlockNumber({ cacheTime: 0 });
  while ((await countAt(latest)) <= nonce) {
    if (Date.now() >= deadline) {
      throw new Error(
        `The transaction with nonce ${nonce} from ${from} is still not mined after ${timeoutMs / 1000} s. ` +
          "Check that the chain is producing blocks, then run the deployment again.",
      );
    }
    await sleep(pollIntervalMs);
    latest = await client.getBlockNumber({ cacheTime: 0 });
  }
  const inBlock = async (blockNumber: bigint): Promise<Hash | undefined> => {
    const block = await client.getBlock({ blockNumber, includeTransactions: true });
    return block.transactions.find((tx) => getAddress(tx.from) === from && tx.nonce === nonce)?.hash;
  };
  let bisected: bigint | undefined;
  try {
    let low = fromBlock > latest ? latest : fromBlock;
    let high = latest;
    while (low < high) {
      const middle = (low + high) / 2n;
      if ((await countAt(middle)) > nonce) high = middle;
      else low = middle + 1n;
    }
    bisected = high;
  } catch {
    // The node keeps no state for some past block (pruned): read the blocks themselves instead.
  }
  if (bisected !== undefined) {
    const hash = await inBlock(bisected);
    if (hash !== undefined) return hash;
  }
  const scanLimit = latest - BigInt(maxBlocksToScan) + 1n;
  const oldest = scanLimit > fromBlock ? scanLimit : fromBlock;
  for (let blockNumber = latest; blockNumber >= oldest && blockNumber >= 0n; blockNumber--) {
    const hash = await inBlock(blockNumber);
    if (hash !== undefined) return hash;
  }
  throw new Error(
    `Cannot find the transaction with nonce ${nonce} from ${from} in blocks ${oldest} to ${latest}. ` +
      "Look its hash up in a block explorer and record it with `npx hardhat ignition track-tx <txHash> " +
      "<deploymentId> --network <network>`, then run the deployment again.",
  );
}

/**
 * Resolves every transaction the journal prepared but did not record as sent, so that Ignition resumes
 * instead of stopping with HHE10410:
 * - if the node has a transaction of that sender with that nonce (mined, or mined after a short wait), its
 *   hash is recorded with Ignition's own `trackTransaction`, and Ignition goes on to confirm it;
 * - if the node has none (the sender's pending nonce is not past it), nothing was sent: the nonce is
 *   released with Ignition's ONCHAIN_INTERACTION_REPLACED_BY_USER record, and Ignition sends the
 *   transaction afresh. The nonce can never be used twice, so nothing is deployed twice either way.
 * Returns what it did, in words.
 */
export async function recoverUnrecordedSends(
  file: string,
  provider: EIP1193Provider,
  options: FindOptions & { requiredConfirmations: number },
): Promise<string[]> {
  const sends = await unrecordedSends(file);
  if (sends.length === 0) return [];
  const client = createPublicClient({ transport: custom(provider) });
  const done: string[] = [];
  for (const send of sends) {
    const what = `${send.futureId}'s transaction (nonce ${send.nonce} from ${send.from})`;
    const pending = await client.getTransactionCount({ address: send.from, blockTag: "pending" });
    if (pending <= send.nonce) {
      const release = {
        futureId: send.futureId,
        networkInteractionId: send.networkInteractionId,
        type: "ONCHAIN_INTERACTION_REPLACED_BY_USER",
      };
      await appendFile(file, `${JSON.stringify(release)}\n`);
      done.push(`${what} never reached the node and is sent again`);
      continue;
    }
    const hash = await findTransactionByNonce(client, send.from, send.nonce, send.fromBlock, options);
    const outcome = await trackTransaction(dirname(file), hash, provider, options.requiredConfirmations);
    done.push(
      typeof outcome === "string"
        ? `${what} was replaced on chain by ${hash}; ${send.futureId} runs again`
        : `${what} had reached the node before the kill; recorded its hash ${hash}`,
    );
  }
  return done;
}
