/**
 * The device agent's clock: the chain's, as the gateway and the meter judge periods by it. It is this host's
 * clock plus an offset measured from the chain's time (the latest block, from the node or from the gateway's
 * GET /clock), measured again every so often and whenever the gateway says what the chain's time is; between
 * measurements it runs with the host. It never goes back: a period once dated stays before the next one, even
 * when a measurement finds the host ran ahead.
 */

export interface ChainClockOptions {
  /** Reads the chain's time now (Unix seconds): the node's latest block, or the gateway's GET /clock. */
  read: () => Promise<number>;
  /** How often the offset is measured again, in milliseconds (default 5,000). */
  resyncMs?: number;
  /** This host's clock in milliseconds (default Date.now). */
  hostMs?: () => number;
}

export class ChainClock {
  readonly #options: ChainClockOptions;
  /** Chain seconds minus host seconds, as last measured; undefined before the first measurement. */
  #offset: number | undefined;
  #measuredAt = -Infinity;
  #last = 0;

  constructor(options: ChainClockOptions) {
    this.#options = options;
  }

  #host(): number {
    return (this.#options.hostMs ?? Date.now)() / 1000;
  }

  /** How far the chain's clock is ahead of this host's, in whole seconds (undefined before it was measured). */
  get offsetSeconds(): number | undefined {
    return this.#offset === undefined ? undefined : Math.round(this.#offset);
  }

  /** Takes `chainTime` as the chain's time now (a measurement from the node or the gateway). */
  observe(chainTime: number): void {
    this.#offset = chainTime - this.#host();
    this.#measuredAt = this.#host();
  }

  /** Measures the offset now; throws what the read throws. */
  async sync(): Promise<number> {
    const before = this.#host();
    const chainTime = await this.#options.read();
    // The read took a while: take the chain's time as of its middle.
    this.#offset = chainTime - (before + this.#host()) / 2;
    this.#measuredAt = this.#host();
    return chainTime;
  }

  /**
   * The chain's time now, Unix seconds: measured again if the last measurement is older than `resyncMs` (a
   * failed measurement keeps the last offset and is tried again `resyncMs` later; without any offset it throws).
   */
  async now(): Promise<number> {
    if (this.#host() - this.#measuredAt >= (this.#options.resyncMs ?? 5000) / 1000) {
      try {
        await this.sync();
      } catch (error) {
        if (this.#offset === undefined) throw error;
        // Keep the last offset; try again resyncMs from now.
        this.#measuredAt = this.#host();
      }
    }
    this.#last = Math.max(this.#last, Math.floor(this.#host() + this.#offset!));
    return this.#last;
  }
}
