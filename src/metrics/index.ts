/**
 * `tether-io/metrics`: Prometheus metrics (on `prom-client`, a peer dependency) and
 * OpenTelemetry traces (on `@opentelemetry/api`, an optional peer dependency) for a Tether
 * server. Nothing is measured until `collectMetrics` / `traceServer` is called.
 * @see docs/observability.md
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { hostname } from "node:os";
import { collectDefaultMetrics, register as globalRegistry, type Registry } from "prom-client";
import { hubOf } from "./hub.js";
import { registerMetrics } from "./prometheus.js";
import { type AnyServer, ServerMetrics } from "./server-metrics.js";
import { loadOpenTelemetryApi, type OpenTelemetryApi, ServerTracing } from "./tracing.js";

export { OTHER, UNHANDLED } from "./counts.js";
export type { OpenTelemetryApi, OtelContext, OtelSpan, OtelTracer } from "./tracing.js";

/** Options of {@link collectMetrics}. */
export interface CollectMetricsOptions {
  /** Registry the metrics are registered on. @default prom-client's global `register` */
  register?: Registry;
  /** Prefix of every metric name. @default "tether_" */
  prefix?: string;
  /**
   * Value of the `node` label every metric carries, naming this process in a cluster (sum over
   * it for cluster totals). @default `${os.hostname()}:${process.pid}`
   */
  node?: string;
  /**
   * Also collect prom-client's default Node.js process metrics (CPU, memory, event loop lag,
   * GC) on the same registry, with the `node` label; `{ prefix }` names them.
   * @default false
   */
  defaultMetrics?: boolean | { prefix?: string };
  /** Namespaces with their own `namespace` label; later ones share `(other)`. @default 50 */
  maxNamespaces?: number;
  /**
   * Event names with their own `event` label per namespace (incoming: only names a listener is
   * registered for; others count as `(unhandled)`); later ones share `(other)`. @default 100
   */
  maxEventNames?: number;
  /** When given, only these event names get their own `event` label, whatever `maxEventNames`. */
  eventNames?: readonly string[];
}

/** What {@link collectMetrics} returns. */
export interface ServerMetricsHandle {
  /** The registry holding the metrics. */
  readonly registry: Registry;
  /**
   * A request handler answering with the registry in Prometheus text format (plain Node http,
   * Express, Fastify's raw req/res).
   * @example app.get("/metrics", metrics.handler);
   */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Stops counting and removes the metrics from the registry. */
  close(): void;
}

/**
 * Collects Prometheus metrics of `io`: connections, handshakes, packets and bytes, events,
 * acknowledgements, backpressure, limits, recovery, drain and adapter traffic (the list is in
 * docs/observability.md). Counting costs a few increments per packet; the metrics are read from
 * those counters when scraped.
 * @example
 * import { collectMetrics } from "tether-io/metrics";
 * const metrics = collectMetrics(io, { node: process.env.POD_NAME });
 * app.get("/metrics", metrics.handler);
 */
export function collectMetrics(
  io: AnyServer,
  opts: CollectMetricsOptions = {},
): ServerMetricsHandle {
  const registry = opts.register ?? globalRegistry;
  const prefix = opts.prefix ?? "tether_";
  const node = opts.node ?? `${hostname()}:${process.pid}`;
  const hub = hubOf(io);
  if (hub.metrics !== undefined) {
    throw new Error("tether-io/metrics: collectMetrics was already called for this server");
  }
  const metrics = new ServerMetrics(io, {
    node,
    maxNamespaces: opts.maxNamespaces ?? 50,
    maxEventNames: opts.maxEventNames ?? 100,
    eventNames: opts.eventNames === undefined ? undefined : new Set(opts.eventNames),
  });
  const registered = registerMetrics(registry, prefix, metrics);
  if (opts.defaultMetrics) {
    const defaultPrefix = typeof opts.defaultMetrics === "object" ? opts.defaultMetrics.prefix : "";
    const before = new Set(registry.getMetricsAsArray().map((m) => m.name));
    collectDefaultMetrics({ register: registry, prefix: defaultPrefix ?? "", labels: { node } });
    // Unregistered with ours on close(), so that a later collectMetrics can add them again.
    for (const m of registry.getMetricsAsArray()) if (!before.has(m.name)) registered.push(m.name);
  }
  hub.setMetrics(metrics);
  if (io.engine !== undefined) metrics.watchEngine(io.engine);
  metrics.watchAdapters();
  return {
    registry,
    handler: metricsHandler(registry),
    close: () => {
      if (hub.metrics !== metrics) return;
      hub.setMetrics(undefined);
      metrics.close();
      for (const name of registered) registry.removeSingleMetric(name);
    },
  };
}

/**
 * A request handler serving `registry` (default: prom-client's global one) in the Prometheus
 * text format, or OpenMetrics when the registry is set up for it.
 * @example http.on("request", (req, res) => req.url === "/metrics" && metricsHandler()(req, res));
 */
export function metricsHandler(
  registry: Registry = globalRegistry,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { "Content-Type": registry.contentType });
        res.end(text);
      },
      (err: unknown) => {
        res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
        res.end(`metrics collection failed: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
  };
}

/** Options of {@link traceServer}. */
export interface TraceServerOptions {
  /**
   * The `@opentelemetry/api` module to use. @default the one installed next to tether-io
   * (an OpenTelemetry SDK must be registered by the application for spans to be recorded)
   */
  api?: OpenTelemetryApi;
  /** Name of the tracer. @default "tether-io" */
  tracerName?: string;
}

/** What {@link traceServer} returns. */
export interface ServerTracingHandle {
  /** Stops tracing (spans in progress still end). */
  close(): void;
}

/**
 * Traces `io` with OpenTelemetry: a span per namespace connection (middlewares included) and
 * one per incoming event's handlers, continuing the trace the client sent in its CONNECT `auth`
 * (`traceparent`, `tracestate`) or its handshake headers. Without an SDK registered the spans
 * are no-ops.
 * @example
 * // client: io(url, { auth: (cb) => { const c = {}; propagation.inject(context.active(), c); cb(c); } })
 * traceServer(io);
 */
export function traceServer(io: AnyServer, opts: TraceServerOptions = {}): ServerTracingHandle {
  const api = opts.api ?? loadOpenTelemetryApi();
  const hub = hubOf(io);
  if (hub.tracing !== undefined) {
    throw new Error("tether-io/metrics: traceServer was already called for this server");
  }
  const tracing = new ServerTracing(api, opts.tracerName ?? "tether-io");
  hub.setTracing(tracing);
  return {
    close: () => {
      if (hub.tracing === tracing) hub.setTracing(undefined);
    },
  };
}
