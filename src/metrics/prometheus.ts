/**
 * The Prometheus side of `collectMetrics`: prom-client metrics whose `collect()` copies the plain
 * counters of {@link ServerMetrics} when scraped, and gauges computed from the live server then.
 * Names follow Prometheus conventions: a `tether_` prefix (configurable), base units in the name
 * (`_seconds`, `_bytes`), `_total` on counters, and bounded label sets (every label value comes
 * from a fixed list or a capped one).
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { Limits, type NamespaceCounts } from "./counts.js";
import { ENGINE_PACKET_TYPES, type ServerMetrics } from "./server-metrics.js";

/** Buckets of the ack round trip, in seconds: 1 ms to 10 s. */
export const ACK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Buckets of the broker round trip, in seconds: 0.1 ms to 1 s. */
export const ROUND_TRIP_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];

type Labels = Record<string, string>;
type Row = readonly [Labels, number];

/** One metric's definition: name (without prefix), help, labels beyond `node`, and its rows. */
interface Definition {
  readonly name: string;
  readonly help: string;
  readonly labels: readonly string[];
  readonly rows: () => Iterable<Row>;
}

/** What a scrape reads of the live sessions, once per scrape. */
interface Snapshot {
  readonly byTransport: Map<string, number>;
  readonly buffered: number;
  readonly bufferedMax: number;
  readonly congested: number;
}

/** `map` with the known `keys` present (as 0): a series exists before its first increment. */
function withZeros(map: ReadonlyMap<string, number>, keys: readonly string[]): Map<string, number> {
  const out = new Map<string, number>(keys.map((k) => [k, 0]));
  for (const [k, v] of map) out.set(k, v);
  return out;
}

function* mapRows(map: ReadonlyMap<string, number>, label: string): Iterable<Row> {
  for (const [k, v] of map) yield [{ [label]: k }, v];
}

/** Registers every metric of `m` on `registry`; returns their names (to unregister on close). */
export function registerMetrics(registry: Registry, prefix: string, m: ServerMetrics): string[] {
  const node = m.opts.node;
  let snap: Snapshot | undefined;
  /**
   * Reads the sessions once per scrape: prom-client calls every metric's `collect()` in one
   * synchronous loop, so the snapshot is dropped at the next microtask.
   */
  const snapshot = (): Snapshot => {
    if (snap !== undefined) return snap;
    const byTransport = new Map<string, number>([
      ["polling", 0],
      ["websocket", 0],
    ]);
    let buffered = 0;
    let bufferedMax = 0;
    let congested = 0;
    for (const conn of m.engine?.clients.values() ?? []) {
      const t = conn.transport.name;
      byTransport.set(t, (byTransport.get(t) ?? 0) + 1);
      const b = conn.bufferedAmount;
      buffered += b;
      if (b > bufferedMax) bufferedMax = b;
      if (conn.needsDrain) congested++;
    }
    snap = { byTransport, buffered, bufferedMax, congested };
    queueMicrotask(() => {
      snap = undefined;
    });
    return snap;
  };
  const perNamespace = function* (
    pick: (c: NamespaceCounts) => Iterable<Row> | number,
  ): Iterable<Row> {
    for (const counts of m.namespaces.values()) {
      const got = pick(counts);
      if (typeof got === "number") yield [{ namespace: counts.label }, got];
      else for (const [labels, v] of got) yield [{ namespace: counts.label, ...labels }, v];
    }
  };
  const packetRows = (read: () => readonly number[]) =>
    function* (): Iterable<Row> {
      const values = read();
      for (let i = 0; i < ENGINE_PACKET_TYPES.length; i++) {
        yield [{ type: ENGINE_PACKET_TYPES[i] as string }, values[i] as number];
      }
    };

  const counters: Definition[] = [
    {
      name: "engine_connections_opened_total",
      help: "Engine.IO sessions opened, by the transport of their handshake.",
      labels: ["transport"],
      rows: () => mapRows(withZeros(m.opened, ["polling", "websocket"]), "transport"),
    },
    {
      name: "engine_connections_closed_total",
      help: "Engine.IO sessions closed, by transport at close and close reason.",
      labels: ["transport", "reason"],
      rows: function* () {
        for (const [k, v] of m.closes) {
          const [transport = "", reason = ""] = k.split("\u0000");
          yield [{ transport, reason }, v];
        }
      },
    },
    {
      name: "engine_handshake_refusals_total",
      help: "Engine.IO requests refused, by error code (0-5 as engine.io, 6 too many connections per IP, 7 polling rate, 8 draining).",
      labels: ["code"],
      rows: () => mapRows(m.refusals, "code"),
    },
    {
      name: "engine_upgrades_total",
      help: "Sessions upgraded from HTTP long-polling to WebSocket.",
      labels: [],
      rows: () => [[{}, m.upgrades]],
    },
    {
      name: "engine_packets_received_total",
      help: "Engine.IO packets received, by packet type.",
      labels: ["type"],
      rows: packetRows(() => m.packetsIn),
    },
    {
      name: "engine_received_bytes_total",
      help: "Bytes of the Engine.IO packets received (type digit and data, as in a WebSocket frame), by packet type.",
      labels: ["type"],
      rows: packetRows(() => m.bytesIn),
    },
    {
      name: "engine_packets_sent_total",
      help: "Engine.IO packets written to clients, by packet type.",
      labels: ["type"],
      rows: packetRows(() => m.packetsSent()),
    },
    {
      name: "engine_sent_bytes_total",
      help: "Bytes of the Engine.IO packets written to clients (as in a WebSocket frame), by packet type.",
      labels: ["type"],
      rows: packetRows(() => m.bytesSent()),
    },
    {
      name: "engine_latest_replaced_total",
      help: "Queued latest-value packets replaced by a newer one of their key on congested sessions.",
      labels: [],
      rows: () => [[{}, m.latestReplacements]],
    },
    {
      name: "limits_hit_total",
      help: "Input and resource limits hit, by limit.",
      labels: ["limit"],
      rows: () => mapRows(withZeros(m.limits, Object.values(Limits)), "limit"),
    },
    {
      name: "decode_errors_total",
      help: "Connections closed because their input could not be decoded, by error code.",
      labels: ["code"],
      rows: () => mapRows(m.decodeErrors, "code"),
    },
    {
      name: "sockets_connected_total",
      help: "Sockets that joined a namespace.",
      labels: ["namespace"],
      rows: () => perNamespace((c) => c.connected),
    },
    {
      name: "sockets_disconnected_total",
      help: "Sockets that left a namespace, by disconnect reason.",
      labels: ["namespace", "reason"],
      rows: () => perNamespace((c) => mapRows(c.disconnected, "reason")),
    },
    {
      name: "connect_refusals_total",
      help: "Namespace CONNECTs refused, by reason (middleware, invalid namespace, namespace name too long).",
      labels: ["namespace", "reason"],
      rows: () => perNamespace((c) => mapRows(c.refused, "reason")),
    },
    {
      name: "events_received_total",
      help: "Events received from clients, by event name (capped; (unhandled): no listener).",
      labels: ["namespace", "event"],
      rows: () => perNamespace((c) => cellRows(c.eventsIn.entries(), "event")),
    },
    {
      name: "events_sent_total",
      help: "Events written to clients, one per recipient, by event name (capped).",
      labels: ["namespace", "event"],
      rows: () => perNamespace((c) => cellRows(c.eventsOut.entries(), "event")),
    },
    {
      name: "ack_timeouts_total",
      help: "Acknowledgements the server waited for in vain (timeout() expired).",
      labels: ["namespace"],
      rows: () => perNamespace((c) => c.ackTimeouts),
    },
    {
      name: "volatile_dropped_total",
      help: "Volatile packets dropped because the connection could not take them at once.",
      labels: ["namespace"],
      rows: () => perNamespace((c) => c.volatileDropped),
    },
    {
      name: "recovery_attempts_total",
      help: "Connection state recovery attempts (CONNECT with a pid and offset).",
      labels: ["namespace"],
      rows: () => perNamespace((c) => c.recoveryAttempts),
    },
    {
      name: "recovery_successes_total",
      help: "Connection state recoveries that restored the session.",
      labels: ["namespace"],
      rows: () => perNamespace((c) => c.recoveries),
    },
    {
      name: "adapter_messages_published_total",
      help: "Cluster messages this node published, by message type.",
      labels: ["namespace", "type"],
      rows: () => perNamespace((c) => mapRows(c.published, "type")),
    },
    {
      name: "adapter_messages_received_total",
      help: "Cluster messages received from other nodes, by message type.",
      labels: ["namespace", "type"],
      rows: () => perNamespace((c) => mapRows(c.received, "type")),
    },
    {
      name: "adapter_publish_errors_total",
      help: "Cluster messages the adapter failed to publish.",
      labels: ["namespace"],
      rows: () => perNamespace((c) => c.publishErrors),
    },
    {
      name: "adapter_errors_total",
      help: "Errors reported by the adapter, by error code.",
      labels: ["namespace", "code"],
      rows: () => perNamespace((c) => mapRows(c.adapterErrors, "code")),
    },
    {
      name: "adapter_request_timeouts_total",
      help: "Cross-node requests (fetchSockets, serverSideEmit with ack) that timed out.",
      labels: ["namespace"],
      rows: () => perNamespace((c) => c.requestTimeouts),
    },
  ];

  const gauges: Definition[] = [
    {
      name: "engine_connections",
      help: "Open Engine.IO sessions, by current transport.",
      labels: ["transport"],
      rows: () => mapRows(snapshot().byTransport, "transport"),
    },
    {
      name: "engine_buffered_bytes",
      help: "Bytes queued for clients and not yet written, all sessions together.",
      labels: [],
      rows: () => [[{}, snapshot().buffered]],
    },
    {
      name: "engine_buffered_bytes_max",
      help: "Bytes queued for the most backed-up session.",
      labels: [],
      rows: () => [[{}, snapshot().bufferedMax]],
    },
    {
      name: "engine_congested_connections",
      help: "Sessions whose queued bytes reached the backpressure high-water mark.",
      labels: [],
      rows: () => [[{}, snapshot().congested]],
    },
    {
      name: "sockets",
      help: "Sockets connected now, by namespace.",
      labels: ["namespace"],
      rows: function* () {
        const byLabel = new Map<string, number>();
        for (const nsp of m.io._nsps.values()) {
          const label = m.ns(nsp.name).label;
          byLabel.set(label, (byLabel.get(label) ?? 0) + nsp.sockets.size);
        }
        yield* mapRows(byLabel, "namespace");
      },
    },
    {
      name: "drain_in_progress",
      help: "1 while a graceful drain (io.close({ drain })) has sessions left to move, else 0.",
      labels: [],
      // The engine stays flagged as draining once closed: a drain is over when no session is left.
      rows: () => [[{}, m.engine?.draining && m.engine.clientsCount > 0 ? 1 : 0]],
    },
    {
      name: "drain_sessions_left",
      help: "Sessions still open while draining (0 when not draining).",
      labels: [],
      rows: () => [[{}, m.engine?.draining ? m.engine.clientsCount : 0]],
    },
    {
      name: "adapter_nodes",
      help: "Nodes of the cluster this node knows of, itself included (1 without a cluster adapter).",
      labels: ["namespace"],
      rows: function* () {
        m.watchAdapters();
        for (const nsp of m.io._nsps.values()) {
          const nodes = (nsp.adapter as { nodes?: unknown }).nodes;
          const n = nodes instanceof Set ? nodes.size + 1 : 1;
          yield [{ namespace: m.ns(nsp.name).label }, n];
        }
      },
    },
  ];

  const out: string[] = [];
  for (const d of counters) {
    out.push(prefix + d.name);
    void new Counter({
      name: prefix + d.name,
      help: d.help,
      labelNames: ["node", ...d.labels],
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, v] of d.rows()) this.inc({ node, ...labels }, v);
      },
    });
  }
  for (const d of gauges) {
    out.push(prefix + d.name);
    void new Gauge({
      name: prefix + d.name,
      help: d.help,
      labelNames: ["node", ...d.labels],
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, v] of d.rows()) this.set({ node, ...labels }, v);
      },
    });
  }
  const ack = new Histogram({
    name: `${prefix}ack_duration_seconds`,
    help: "Round trip of acknowledgements the server asked for: from emit to the client's ack.",
    labelNames: ["node", "namespace"],
    buckets: ACK_BUCKETS,
    registers: [registry],
  });
  const roundTrip = new Histogram({
    name: `${prefix}adapter_broker_round_trip_seconds`,
    help: "Time for this node's heartbeat to come back through the broker (Redis adapters).",
    labelNames: ["node", "namespace"],
    buckets: ROUND_TRIP_BUCKETS,
    registers: [registry],
  });
  m.ackHistogram = ack;
  m.roundTripHistogram = roundTrip;
  out.push(`${prefix}ack_duration_seconds`, `${prefix}adapter_broker_round_trip_seconds`);
  return out;
}

function* cellRows(
  entries: IterableIterator<[string, { n: number }]>,
  label: string,
): Iterable<Row> {
  for (const [k, cell] of entries) yield [{ [label]: k }, cell.n];
}
