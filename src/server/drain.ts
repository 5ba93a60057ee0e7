/**
 * Graceful drain (`io.close({ drain: ms })`): the connections of a server that stops taking new
 * ones are asked to go, a jittered batch at a time, so that the nodes they reconnect to are not
 * hit by every client at once.
 *
 *   t=0          stopAccepting (new handshakes: 503 code 8)
 *   ├─ batch 1   sockets closed "server shutting down" → sessions persisted → Engine.IO close
 *   ├─ batch 2   (no DISCONNECT packet: clients see "transport close" and reconnect elsewhere)
 *   ┆  …         batches spread over the first half of the window, each at a random point of
 *   ├─ batch n   its slot
 *   ├─ empty     → resolved ("drained")
 *   └─ t=ms      deadline: whatever is left is closed at once by the caller ("deadline")
 */
/** What the drain needs of a connection (an Engine.IO session). */
export interface DrainConnection {
  /** `close` fires once the session is gone (closed by the drain or by itself). */
  once(event: "close", listener: () => void): unknown;
  /** Closes gracefully: flushes what is queued, then closes the transport. */
  close(): void;
}

/** Share of the drain window over which the batches are spread; the rest is for stragglers. */
export const DRAIN_SPREAD = 0.5;
/** Most batches of one drain (fewer when there are fewer connections). */
export const DRAIN_MAX_BATCHES = 20;

/** How a drain ended. */
export interface DrainResult {
  /** `drained`: no connection left before the deadline; `deadline`: some were still open. */
  readonly outcome: "drained" | "deadline";
  /** Batches that were released. */
  readonly batches: number;
  /** Milliseconds from the start until the last connection closed, or the deadline. */
  readonly elapsedMs: number;
}

/** What the drain needs from the server. */
export interface DrainHost<C extends DrainConnection> {
  /** The open Engine.IO sessions (read at every batch, so late handshakes are included). */
  sessions(): Iterable<C>;
  /** Number of open sessions. */
  count(): number;
  /** Called before each batch is released (e.g. to index the connections' sockets once). */
  beforeBatch?(): void;
  /**
   * Closes the sockets of one connection with a recoverable reason and resolves once their
   * sessions are persisted; the drain then closes the Engine.IO session.
   */
  release(conn: C): Promise<unknown> | undefined;
}

/** Fisher–Yates shuffle in place. */
function shuffle<T>(list: T[], random: () => number): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = list[i] as T;
    list[i] = list[j] as T;
    list[j] = a;
  }
  return list;
}

/**
 * Releases every session of `host` in jittered batches over the first {@link DRAIN_SPREAD} of
 * `windowMs`; resolves when none is left or at the deadline (the caller then closes the rest).
 */
export function drainSessions<C extends DrainConnection>(
  host: DrainHost<C>,
  windowMs: number,
  random: () => number = Math.random,
): Promise<DrainResult> {
  const start = performance.now();
  const asked = new WeakSet<C>();
  const queue = shuffle([...host.sessions()], random);
  const total = Math.max(1, Math.min(DRAIN_MAX_BATCHES, queue.length));
  const slot = (Math.max(0, windowMs) * DRAIN_SPREAD) / total;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let released = 0;

  return new Promise<DrainResult>((resolve) => {
    let done = false;
    const finish = (outcome: DrainResult["outcome"]): void => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      resolve({ outcome, batches: released, elapsedMs: performance.now() - start });
    };
    const check = (): void => {
      if (host.count() === 0) finish("drained");
    };

    const watched = new WeakSet<C>();
    const watch = (conn: C): void => {
      if (watched.has(conn)) return;
      watched.add(conn);
      conn.once("close", check);
    };
    // Connections that leave by themselves count too.
    for (const conn of queue) watch(conn);
    const close = (conn: C): void => {
      if (asked.has(conn)) return;
      asked.add(conn);
      watch(conn);
      let persisted: Promise<unknown> | undefined;
      try {
        persisted = host.release(conn);
      } catch {
        persisted = undefined;
      }
      // The transport closes only after the sessions are stored, so that a client reconnecting
      // at once to another node finds its session there.
      const end = (): void => conn.close();
      if (persisted === undefined) end();
      else void persisted.then(end, end);
    };

    const release = (batch: number): void => {
      if (done) return;
      released++;
      host.beforeBatch?.();
      const left = total - batch;
      const take = Math.ceil(queue.length / left);
      for (const conn of queue.splice(0, take)) close(conn);
      // The last batch also takes sessions that were mid-handshake when the drain started.
      if (left === 1) for (const conn of [...host.sessions()]) close(conn);
      check();
    };

    for (let i = 0; i < total; i++) {
      // Each batch at a random point of its own slot: ordered, and never all at once.
      const at = i === 0 ? 0 : (i + random()) * slot;
      const t = setTimeout(() => {
        timers.delete(t);
        release(i);
      }, at);
      timers.add(t);
    }
    const deadline = setTimeout(() => {
      timers.delete(deadline);
      finish("deadline");
    }, windowMs);
    timers.add(deadline);
    check();
  });
}

/** Options of `io.close(opts)`. */
export interface CloseOptions {
  /**
   * Milliseconds for a graceful drain: stop accepting, move clients away in jittered batches
   * over the first half, close the rest at the deadline. Without it, everything closes at once.
   * @example await io.close({ drain: 10_000 });
   */
  drain?: number;
}
