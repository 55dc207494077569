/**
 * The one cache of chain reads: each read is kept for `ttl` ms, the value itself once the read settled
 * (answered at once, so that a hot path need not wait), its promise while it runs (so that concurrent asks
 * share one read). A negative answer ("no such key") is kept like any other, so junk naming one unknown
 * signer costs one read; a failed read is not kept. At most `maxEntries` are kept: the oldest read goes first,
 * and expired ones are dropped as new ones come (entries are held in the order they were read, so the expired
 * ones are always the oldest). A ttl of Infinity keeps what never changes (a published tariff version).
 */

/** A value, or its promise: a cache answers at once what it holds, so that the hot path need not wait. */
export type Maybe<T> = T | Promise<T>;

interface Entry<V> {
  at: number;
  value: Promise<V>;
  settled: boolean;
  result?: V;
}

export class ReadCache<K, V> {
  readonly #entries = new Map<K, Entry<V>>();
  constructor(
    readonly ttl: number,
    readonly maxEntries: number,
    readonly now: () => number = Date.now,
  ) {
    if (!(maxEntries >= 1)) throw new RangeError(`A read cache holds at least one entry, not ${maxEntries}.`);
  }

  /** How many reads are kept (expired ones included until they are dropped). */
  get size(): number {
    return this.#entries.size;
  }

  get(key: K, read: () => Promise<V>): Maybe<V> {
    const now = this.now();
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      if (now - hit.at < this.ttl) return hit.settled ? (hit.result as V) : hit.value;
      this.#entries.delete(key);
    }
    this.#makeRoom(now);
    const value = read();
    const entry: Entry<V> = { at: now, value, settled: false };
    this.#entries.set(key, entry);
    value.then(
      (result) => {
        entry.result = result;
        entry.settled = true;
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return value;
  }

  /** `get`, always as a promise: for callers off the hot path. */
  async read(key: K, read: () => Promise<V>): Promise<V> {
    return this.get(key, read);
  }

  /** Forgets what is kept for `key`: the next `get` reads again. */
  forget(key: K): void {
    this.#entries.delete(key);
  }

  /** Drops the expired reads, and the oldest while there is no room for one more. */
  #makeRoom(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (now - entry.at < this.ttl && this.#entries.size < this.maxEntries) break;
      this.#entries.delete(key);
    }
  }
}

/** `f` of a value or of its promise, without waiting when there is nothing to wait for. */
export function then<T, U>(value: Maybe<T>, f: (value: T) => Maybe<U>): Maybe<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}
