/**
 * Prometheus metrics of a service (prom-client), served as text at GET /metrics beside GET /status: one
 * Registry per service instance (never the global one, so that two services in one process, as in the tests,
 * keep apart). Each metric is read at scrape time from what the service counts anyway (its counters, its
 * store, its Reachability), so that the hot paths carry no extra bookkeeping.
 */
import { Counter, Gauge, Registry } from "prom-client";

import { text, type Route } from "../../transport/server.js";

export { Registry } from "prom-client";

/** GET /metrics: the registry's metrics in Prometheus' text format. */
export function metricsRoute(registry: Registry): Route {
  return {
    method: "GET",
    path: "/metrics",
    handle: async () => text(200, await registry.metrics(), registry.contentType),
  };
}

/** A counter whose value is `read()` at each scrape (a count the service keeps). */
export function countFrom(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** A counter by `label`, whose values are `read()` at each scrape (counts the service keeps by reason, ...). */
export function countsFrom(
  registry: Registry,
  name: string,
  help: string,
  label: string,
  read: () => Readonly<Record<string, number>>,
): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [value, count] of Object.entries(read())) this.inc({ [label]: value }, count);
    },
  });
}

/** A gauge whose value is `read()` at each scrape (a backlog, 1 or 0 for reachable). */
export function gaugeFrom(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}
