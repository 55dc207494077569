/**
 * Prometheus' text format as a test reads it: every sample line `name{label="value",...} number` by its name
 * and labels, and the metrics each `# TYPE` line declares; a line that is neither is an error, so that a
 * scrape that does not parse fails the test.
 */
import { expect } from "chai";

export interface Scrape {
  /** Samples by `name` or `name{label="value"}` (labels as printed). */
  samples: Map<string, number>;
  /** Declared types by metric name: counter, gauge, ... */
  types: Map<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+]+|NaN|[+-]Inf)$/;

export function parseMetrics(text: string): Scrape {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ")) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type !== null) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const sample = SAMPLE.exec(line);
    expect(sample, `a line of the scrape that is no Prometheus sample: ${line}`).to.not.equal(null);
    samples.set(`${sample![1]}${sample![2] ?? ""}`, Number(sample![3]));
  }
  return { samples, types };
}

/** GET <url>/metrics, checked to be Prometheus' text format, parsed. */
export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).to.equal(200);
  expect(response.headers.get("content-type")).to.match(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await response.text());
}
