/**
 * The device agent's reads of the gateway besides sending reports: its clock (GET /clock: the chain's time it
 * judges periods by, and its tolerance) and where a stream stands (GET /streams/<order>/<kind>: the next number
 * and where its period must start, after what the meter recorded and the gateway holds).
 */
import {
  clockFromJson,
  positionFromJson,
  STREAM_NAMES,
  WireError,
  type ClockJson,
  type StreamPositionJson,
} from "../../codec/report-wire.js";
import type { Stream } from "./store.js";

/** The gateway did not answer, or not as a gateway does: try again later. */
export class GatewayUnavailable extends Error {
  override name = "GatewayUnavailable";
}

/** The gateway answered that the order does not exist. */
export class GatewayUnknownOrder extends Error {
  override name = "GatewayUnknownOrder";
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new GatewayUnavailable(`cannot reach ${url} (${(error as Error).message})`, { cause: error });
  }
  const body: unknown = await response.json().catch(() => undefined);
  return { status: response.status, body };
}

function parsed<T>(url: string, status: number, body: unknown, parse: (input: unknown) => T): T {
  if (status !== 200) {
    const words = (body as { error?: unknown } | undefined)?.error;
    throw new GatewayUnavailable(`${url} answered ${status}${typeof words === "string" ? `: ${words}` : ""}`);
  }
  try {
    return parse(body);
  } catch (error) {
    if (error instanceof WireError)
      throw new GatewayUnavailable(`${url} answered what no gateway does: ${error.message}`);
    throw error;
  }
}

/** GET <gateway>/clock. */
export async function readGatewayClock(gateway: string): Promise<ClockJson> {
  const url = `${gateway}/clock`;
  const { status, body } = await getJson(url);
  return parsed(url, status, body, clockFromJson);
}

/** GET <gateway>/streams/<orderId>/<device|inspector>. */
export async function readStreamPosition(
  gateway: string,
  orderId: bigint,
  stream: Stream,
): Promise<StreamPositionJson> {
  const url = `${gateway}/streams/${orderId}/${STREAM_NAMES[stream]}`;
  const { status, body } = await getJson(url);
  if (status === 404) throw new GatewayUnknownOrder(`the gateway's meter has no order ${orderId}`);
  return parsed(url, status, body, positionFromJson);
}
