/** Reading prom-client metrics in tests: a sample's value by name and (partial) labels. */
import type { Registry } from "prom-client";
import { eventually } from "./wait.js";

/**
 * Sum of the samples of `tether_<name>` whose labels include `labels`. `name` may end with a
 * histogram suffix (`_count`, `_sum`, `_bucket`); 0 when there is no such sample.
 */
export async function sample(
  register: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const full = `tether_${name}`;
  const base = full.replace(/_(count|sum|bucket)$/, "");
  const metric = register.getSingleMetric(full) ?? register.getSingleMetric(base);
  if (metric === undefined) throw new Error(`no metric ${full}`);
  const data = await metric.get();
  let total = 0;
  for (const v of data.values) {
    const sampleName = (v as { metricName?: string }).metricName ?? base;
    if (sampleName !== full) continue;
    const l = v.labels as Record<string, string | number>;
    if (Object.entries(labels).every(([k, want]) => String(l[k]) === want)) total += v.value;
  }
  return total;
}

/** Waits until `sample(...)` satisfies `ok` (metrics move with network events). */
export async function untilSample(
  register: Registry,
  name: string,
  labels: Record<string, string>,
  ok: (v: number) => boolean,
  timeoutMs = 10_000,
): Promise<number> {
  return eventually(
    () => sample(register, name, labels),
    ok,
    `${name}${JSON.stringify(labels)}`,
    timeoutMs,
    10,
  );
}
