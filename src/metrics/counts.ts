/**
 * Plain counters behind the Prometheus metrics: the hot paths bump numbers in maps and cells,
 * prom-client sees them only when scraped. Label values that come from outside (event names,
 * dynamic namespaces) are capped: the first `limit` distinct values get their own series, the
 * rest share {@link OTHER}.
 */

/** The label value of everything past a cap. */
export const OTHER = "(other)";
/** The event label of events no listener was registered for. */
export const UNHANDLED = "(unhandled)";

/** One counter, bumped in place (no map lookup on a hot path that kept it). */
export interface Cell {
  n: number;
}

/** Counters keyed by one label value, with a cap on distinct values. */
export class CappedCounts {
  readonly #cells = new Map<string, Cell>();
  readonly #limit: number;
  readonly #allowed: ReadonlySet<string> | undefined;

  /** `allowed`: only these values get a series (the rest count as OTHER), whatever the cap. */
  constructor(limit: number, allowed?: ReadonlySet<string>) {
    this.#limit = limit;
    this.#allowed = allowed;
  }

  /** The cell counting `value` (OTHER's once the cap is reached). */
  cell(value: string): Cell {
    const known = this.#cells.get(value);
    if (known !== undefined) return known;
    const capped =
      this.#allowed === undefined ? this.#cells.size >= this.#limit : !this.#allowed.has(value);
    const key = capped ? OTHER : value;
    let cell = this.#cells.get(key);
    if (cell === undefined) {
      cell = { n: 0 };
      this.#cells.set(key, cell);
    }
    return cell;
  }

  add(value: string, n = 1): void {
    this.cell(value).n += n;
  }

  entries(): IterableIterator<[string, Cell]> {
    return this.#cells.entries();
  }
}

/** Counters of one namespace (or of every namespace past the cap, as OTHER). */
export class NamespaceCounts {
  connected = 0;
  readonly disconnected = new Map<string, number>();
  readonly refused = new Map<string, number>();
  readonly eventsIn: CappedCounts;
  readonly eventsOut: CappedCounts;
  ackTimeouts = 0;
  volatileDropped = 0;
  recoveryAttempts = 0;
  recoveries = 0;
  readonly published = new Map<string, number>();
  readonly received = new Map<string, number>();
  readonly adapterErrors = new Map<string, number>();
  publishErrors = 0;
  requestTimeouts = 0;
  /** The `namespace` label value, and the labels object of its histograms (allocated once). */
  readonly label: string;
  readonly labels: { readonly node: string; readonly namespace: string };

  constructor(label: string, node: string, maxEvents: number, events?: ReadonlySet<string>) {
    this.label = label;
    this.labels = { node, namespace: label };
    this.eventsIn = new CappedCounts(maxEvents, events);
    this.eventsOut = new CappedCounts(maxEvents, events);
  }
}

/** Adds `n` to `map[key]`. */
export function bump(map: Map<string, number>, key: string, n = 1): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

/** The limits `tether_limits_hit_total` counts, by label value. */
export const Limits = {
  /** A session's outgoing buffer reached `backpressure.maxBufferedBytes` / `maxBufferedPackets`. */
  BUFFER_FULL: "buffer_full",
  /** Polling requests over `pollingRateLimit`. */
  POLLING_RATE: "polling_rate",
  /** A polling body or WebSocket message over `maxHttpBufferSize`. */
  PAYLOAD_SIZE: "payload_size",
  /** An argument nested deeper than `maxDepth`. */
  PAYLOAD_DEPTH: "payload_depth",
  /** More binary attachments than `maxAttachments`. */
  ATTACHMENTS: "attachments",
  /** An event name longer than `maxEventNameLength`. */
  EVENT_NAME_LENGTH: "event_name_length",
  /** A namespace name longer than `maxNamespaceLength`. */
  NAMESPACE_NAME_LENGTH: "namespace_name_length",
  /** A handshake over `maxConnectionsPerIp`. */
  CONNECTIONS_PER_IP: "connections_per_ip",
} as const;
export type Limit = (typeof Limits)[keyof typeof Limits];
