/**
 * The long-running services' logs: pino, one JSON line per entry on stdout, with an ISO timestamp, the level
 * by name and the service. What a program (or a test) follows carries an `event` name and its fields (bigints
 * as decimal strings, as on the wire); progress and problems in words carry `msg` alone.
 *
 *   {"level":"info","time":"2026-12-08T10:00:00.000Z","service":"gateway","event":"sent","tx":"0x..","count":100}
 *   {"level":"warn","time":"...","service":"gateway","msg":"the node at http://127.0.0.1:8545 does not answer ..."}
 */
import { pino, type DestinationStream, type Logger } from "pino";

export type Log = Logger;

/** `value` with every bigint, however deep, as its decimal string; the same object when it holds none. */
function plain(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) {
    const mapped = value.map(plain);
    return mapped.some((v, i) => v !== value[i]) ? mapped : value;
  }
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    let copy: Record<string, unknown> | undefined;
    for (const [key, field] of Object.entries(value)) {
      const mapped = plain(field);
      if (mapped !== field) (copy ??= { ...(value as Record<string, unknown>) })[key] = mapped;
    }
    return copy ?? value;
  }
  return value;
}

/** A logger for `service`, writing to `destination` (default: stdout, synchronously, so that no line is lost at exit). */
export function createLog(service: string, destination?: DestinationStream): Log {
  return pino(
    {
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (fields) => plain(fields) as Record<string, unknown>,
      },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A logger that writes nothing (a service run in process without logs, as by the tests and the bench). */
export function silentLog(): Log {
  return pino({ level: "silent" });
}

/** Logs the event `name` with `fields` at info level, with `words` as its message when given. */
export function logEvent(log: Log, name: string, fields: Record<string, unknown> = {}, words?: string): void {
  if (words === undefined) log.info({ event: name, ...fields });
  else log.info({ event: name, ...fields }, words);
}
