/**
 * docs/observability.md lists every metric `collectMetrics` registers, and the Grafana dashboard
 * (docs/grafana/tether-dashboard.json) queries only metrics that exist.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Registry } from "prom-client";
import { Server } from "../../src/index.js";
import { collectMetrics } from "../../src/metrics/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** Names registered by collectMetrics (with prom-client's process metrics when `defaults`). */
function registeredNames(defaults: boolean): Set<string> {
  const io = new Server({ serveClient: false });
  const register = new Registry();
  const metrics = collectMetrics(io, { register, defaultMetrics: defaults });
  const names = new Set(register.getMetricsAsArray().map((m) => m.name));
  metrics.close();
  register.clear();
  return names;
}

describe("observability docs and dashboard", () => {
  test("docs/observability.md lists every metric collectMetrics registers", () => {
    const doc = readFileSync(join(root, "docs/observability.md"), "utf8");
    const names = registeredNames(false);
    assert.ok(names.size > 30, `${names.size} metrics`);
    for (const name of names) assert.ok(doc.includes(`\`${name}\``), `${name} is not documented`);
    // And nothing documented that does not exist.
    for (const [, name] of doc.matchAll(/`(tether_[a-z_]+)`/g)) {
      assert.ok(names.has(name as string), `${name} is documented but not registered`);
    }
  });

  test("the Grafana dashboard queries only registered metrics, with the node variable", () => {
    const dashboard = JSON.parse(
      readFileSync(join(root, "docs/grafana/tether-dashboard.json"), "utf8"),
    ) as { panels: { targets?: { expr: string }[] }[] };
    const names = registeredNames(true);
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    assert.ok(exprs.length > 30, `${exprs.length} queries`);
    const used = new Set<string>();
    for (const expr of exprs) {
      assert.match(expr, /node=~"\$node"/, `${expr} ignores the node variable`);
      for (const [name] of expr.matchAll(/\b(tether|process|nodejs)_[a-z0-9_]+/g)) {
        const base = name.replace(/_(bucket|count|sum)$/, "");
        assert.ok(names.has(name) || names.has(base), `${name} in ${expr} is not a metric`);
        used.add(base);
      }
    }
    const tether = [...names].filter((n) => n.startsWith("tether_"));
    const unused = tether.filter((n) => !used.has(n));
    assert.deepEqual(unused, [], "metrics the dashboard does not show");
  });
});
