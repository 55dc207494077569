/**
 * Proving a raw reading from the device's store alone (no key is needed: the report was signed when it was
 * cut): the reading, its Merkle proof and the signed report that commits to it, found by the reading's index in
 * the order's log or by report and position (`--prove INDEX | SEQUENCE:POSITION`).
 */
import { existsSync } from "node:fs";

import type { Hex } from "viem";

import { reportToJson } from "../../codec/report-wire.js";
import { proveReading, verifyReading, type Reading } from "../../core/readings.js";
import type { SignedReport } from "../../core/report.js";
import { StoreLocked } from "../../store/sqlite.js";
import { ConfigRefused } from "../runtime/lifecycle.js";
import { DeviceStore, Stream } from "./store.js";

/** A reading and what proves it: the signed report that commits to it and its Merkle proof. */
export interface ReadingProof {
  reading: Reading;
  signed: SignedReport;
  proof: Hex[];
}

/**
 * Proves the reading at `index` of the order's log against the signed report that covers it, from the store
 * alone (no key is needed: the report was signed when it was cut).
 */
export function proveFromStore(store: DeviceStore, orderId: bigint, index: bigint): ReadingProof {
  const found = store.reading(orderId, index);
  if (found === undefined) throw new RangeError(`Order ${orderId} has no reading with index ${index}.`);
  if (found.sequence === undefined) {
    throw new RangeError(`Reading ${index} of order ${orderId} is in no report yet; cut a report first.`);
  }
  if (found.sequence === 0) {
    throw new RangeError(
      `Reading ${index} of order ${orderId} was left out of every report: it is dated before where the stream went ` +
        "on after this store was found behind the gateway.",
    );
  }
  const stored = store.report(orderId, found.stream, found.sequence)!;
  const readings = store.readingsOf(orderId, found.stream, found.sequence);
  return { reading: found.reading, signed: stored.signed, proof: proveReading(readings, found.reading) };
}

/** Opens the device store at `path`; `mustExist`: refuse a file that is not there instead of creating it. */
export function openDeviceStore(path: string, mustExist: boolean): DeviceStore {
  if (mustExist && !existsSync(path)) {
    throw new ConfigRefused(`--store: there is no device store at ${path}; give the file the agent ran with.`);
  }
  try {
    return new DeviceStore({ path });
  } catch (error) {
    if (error instanceof StoreLocked) throw error;
    throw new ConfigRefused(`--store: cannot open ${path} as a device store (${(error as Error).message}).`);
  }
}

const KIND_NAME = ["SpindleSeconds", "Units", "LicensedUnits", "Inspection"] as const;
const STREAM_NAME = ["device", "inspector"] as const;

/** The index in the order's log of the reading `spec` names: INDEX, or SEQUENCE:POSITION of `stream`'s reports. */
function indexOf(store: DeviceStore, orderId: bigint, spec: string, stream: Stream): bigint {
  const pair = /^(\d+):(\d+)$/.exec(spec);
  if (pair === null) {
    if (/^\d+$/.test(spec)) return BigInt(spec);
    throw new ConfigRefused(
      `--prove takes INDEX (a reading's index in the order's log) or SEQUENCE:POSITION; got "${spec}".`,
    );
  }
  const sequence = Number(pair[1]);
  const position = Number(pair[2]);
  if (store.report(orderId, stream, sequence) === undefined) {
    const last = store.lastReport(orderId, stream)?.sequence ?? 0;
    throw new ConfigRefused(
      `--prove ${spec}: order ${orderId} has no ${STREAM_NAME[stream]} report ${sequence}` +
        (last === 0 ? "; it has none yet." : `; its reports run from 1 to ${last}.`),
    );
  }
  const readings = store.readingsOf(orderId, stream, sequence);
  const reading = readings[position];
  if (reading === undefined) {
    throw new ConfigRefused(
      `--prove ${spec}: report ${sequence} commits to ${readings.length} readings; give a POSITION from 0 to ${readings.length - 1}.`,
    );
  }
  return reading.index;
}

/** What `--prove` prints: the reading (with its kind's name), its proof, whether it verifies, and the report. */
export function proveReadingOf(options: { store: string; orderId: bigint; spec: string; stream: Stream }) {
  const { orderId, spec } = options;
  const store = openDeviceStore(options.store, true);
  try {
    const index = indexOf(store, orderId, spec, options.stream);
    let found: ReadingProof;
    try {
      found = proveFromStore(store, orderId, index);
    } catch (error) {
      throw new ConfigRefused(`--prove ${spec}: ${(error as Error).message}`);
    }
    const { reading, signed, proof } = found;
    return {
      orderId,
      stream: STREAM_NAME[store.reading(orderId, index)!.stream],
      sequence: signed.report.sequence,
      reading: { ...reading, kindName: KIND_NAME[reading.kind] },
      proof,
      root: signed.report.readingsRoot,
      verifies: verifyReading(signed.report.readingsRoot, reading, proof),
      report: reportToJson(signed),
    };
  } finally {
    store.close();
  }
}
