/**
 * The device agent's client of its gateway, on the one JSON client: POST /reports (its reports, in batches),
 * its clock (GET /clock: the chain's time it judges periods by, and its tolerance) and where a stream stands
 * (GET /streams/<order>/<kind>: the next number and where its period must start, after what the meter recorded
 * and the gateway holds).
 */
import {
  clockFromJson,
  positionFromJson,
  STREAM_NAMES,
  WireError,
  type ClockJson,
  type ReportJson,
  type StreamPositionJson,
} from "../../codec/report-wire.js";
import { JsonClient, Unreachable, type JsonAnswer } from "../../transport/client.js";
import type { Stream } from "./store.js";

/** The gateway did not answer, or not as a gateway does: try again later. */
export class GatewayUnavailable extends Error {
  override name = "GatewayUnavailable";
}

/** The gateway answered that the order does not exist. */
export class GatewayUnknownOrder extends Error {
  override name = "GatewayUnknownOrder";
}

/** One gateway, at its base URL (e.g. http://127.0.0.1:8700). */
export class GatewayClient {
  readonly #http: JsonClient;

  constructor(
    readonly url: string,
    /** Milliseconds a request may take (a batch of reports is checked and stored before it is answered). */
    timeoutMs = 30_000,
  ) {
    this.#http = new JsonClient(url, { what: "the gateway", timeoutMs });
  }

  /** POST /reports: the batch's answer; throws Unreachable when the gateway does not answer. */
  sendReports(reports: readonly ReportJson[]): Promise<JsonAnswer> {
    return this.#http.post("/reports", { reports });
  }

  /** GET /clock. */
  async clock(): Promise<ClockJson> {
    return this.#parsed("/clock", await this.#get("/clock"), clockFromJson);
  }

  /** GET /streams/<orderId>/<device|inspector>. */
  async position(orderId: bigint, stream: Stream): Promise<StreamPositionJson> {
    const path = `/streams/${orderId}/${STREAM_NAMES[stream]}`;
    const answer = await this.#get(path);
    if (answer.status === 404) throw new GatewayUnknownOrder(`the gateway's meter has no order ${orderId}`);
    return this.#parsed(path, answer, positionFromJson);
  }

  async #get(path: string): Promise<JsonAnswer> {
    try {
      return await this.#http.get(path);
    } catch (error) {
      if (!(error instanceof Unreachable)) throw error;
      throw new GatewayUnavailable(`cannot reach ${this.url}${path} (${error.detail})`, { cause: error });
    }
  }

  #parsed<T>(path: string, answer: JsonAnswer, parse: (input: unknown) => T): T {
    const url = `${this.url}${path}`;
    if (answer.status !== 200) {
      const words = (answer.body as { error?: unknown } | undefined)?.error;
      throw new GatewayUnavailable(`${url} answered ${answer.status}${typeof words === "string" ? `: ${words}` : ""}`);
    }
    try {
      return parse(answer.body);
    } catch (error) {
      if (error instanceof WireError)
        throw new GatewayUnavailable(`${url} answered what no gateway does: ${error.message}`);
      throw error;
    }
  }
}

/** GET <gateway>/clock. */
export function readGatewayClock(gateway: string): Promise<ClockJson> {
  return new GatewayClient(gateway, 10_000).clock();
}
