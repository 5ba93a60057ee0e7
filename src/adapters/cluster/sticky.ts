/**
 * Sticky sessions for `node:cluster`: the primary accepts TCP connections and hands each one to
 * a worker, so every HTTP long-polling request of a session reaches the worker that created it.
 *
 *   client ──TCP──▶ primary: read the first chunk ("GET /socket.io/?…&sid=X HTTP/1.1")
 *                   worker = owner of sid X  (workers report their sessions over IPC)
 *                          | else hash(remote address) / round-robin   (a new session)
 *                   worker.send({head}, socket) ──▶ worker: http.emit("connection"), unshift(head)
 *
 * WebSocket-only clients do not need this: one TCP connection carries the whole session.
 */
import cluster, { type Worker } from "node:cluster";
import { createServer, type Server as NetServer, type Socket as NetSocket } from "node:net";

const CONN_TAG = "tether:sticky-connection";
const SID_TAG = "tether:sticky-sid";

/** Options of {@link setupStickyPrimary}. */
export interface StickyPrimaryOptions {
  /** Port to listen on (0 for a free port). @default 3000 */
  port?: number;
  /** Address to listen on. @default "0.0.0.0" */
  host?: string;
  /** How a request without a known session picks its worker. @default "hash" */
  loadBalancing?: "hash" | "round-robin";
}

/** The primary's sticky listener. */
export interface StickyPrimary {
  readonly server: NetServer;
  /** Resolves with the port once listening. */
  readonly listening: Promise<number>;
  /** Stops listening and routing. */
  close(): Promise<void>;
}

function workers(): Worker[] {
  return Object.values(cluster.workers ?? {})
    .filter((w): w is Worker => w?.isConnected() === true)
    .sort((a, b) => a.id - b.id);
}

/** The sid of a request line; a malformed %-escape (hostile input) is kept as written. */
function decodeSid(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Listens in the primary and routes each connection to a worker: the session's owner when the
 * request names a `sid`, otherwise by `loadBalancing`. Workers call {@link setupStickyWorker}.
 * @example const sticky = setupStickyPrimary({ port: 3000 });
 */
export function setupStickyPrimary(opts: StickyPrimaryOptions = {}): StickyPrimary {
  const owners = new Map<string, number>();
  let next = 0;
  const onMessage = (worker: Worker, msg: unknown) => {
    if (typeof msg !== "object" || msg === null) return;
    const m = msg as { tag?: unknown; sid?: unknown; open?: unknown };
    if (m.tag !== SID_TAG || typeof m.sid !== "string") return;
    if (m.open === true) owners.set(m.sid, worker.id);
    else if (owners.get(m.sid) === worker.id) owners.delete(m.sid);
  };
  const onExit = (worker: Worker) => {
    for (const [sid, id] of owners) if (id === worker.id) owners.delete(sid);
  };
  cluster.on("message", onMessage);
  cluster.on("exit", onExit);

  const pick = (head: Buffer, socket: NetSocket): Worker | undefined => {
    const list = workers();
    const firstLine = head.toString("latin1", 0, Math.min(head.length, 2048)).split("\r\n", 1)[0];
    const sid = /[?&]sid=([^&\s]+)/.exec(firstLine ?? "")?.[1];
    const owner = sid === undefined ? undefined : owners.get(decodeSid(sid));
    const owned = owner === undefined ? undefined : cluster.workers?.[owner];
    if (owned?.isConnected()) return owned;
    if (list.length === 0) return undefined;
    const index = opts.loadBalancing === "round-robin" ? next++ : hash(socket.remoteAddress ?? "");
    return list[index % list.length];
  };

  const server = createServer({ pauseOnConnect: true }, (socket) => {
    socket.once("data", (head: Buffer) => {
      socket.pause();
      const worker = pick(head, socket);
      if (!worker) {
        socket.destroy();
        return;
      }
      worker.send({ tag: CONN_TAG, head: head.toString("base64") }, socket, (err: Error | null) => {
        if (err) socket.destroy();
      });
    });
    socket.on("error", () => socket.destroy());
    socket.resume();
  });
  const listening = new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 3000, opts.host ?? "0.0.0.0", () => {
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : 0);
    });
  });
  return {
    server,
    listening,
    close: () =>
      new Promise<void>((resolve) => {
        cluster.off("message", onMessage);
        cluster.off("exit", onExit);
        server.close(() => resolve());
      }),
  };
}

/** The parts of an HTTP server and a Socket.IO server the worker side needs. */
interface StickyHttp {
  emit(event: "connection", socket: NetSocket): boolean;
}
interface StickySessions {
  on(event: "connection", fn: (session: StickySession) => void): unknown;
}
interface StickySession {
  readonly id: string;
  once(event: "close", fn: () => void): unknown;
}

/**
 * In a worker: accepts the connections the primary hands over, and reports the sessions this
 * worker owns. `http` must not listen itself.
 * @example setupStickyWorker(httpServer, io);
 */
export function setupStickyWorker(http: StickyHttp, io: { readonly engine: StickySessions }): void {
  process.on("message", (msg: unknown, handle: unknown) => {
    if (typeof msg !== "object" || msg === null) return;
    const m = msg as { tag?: unknown; head?: unknown };
    if (m.tag !== CONN_TAG || typeof m.head !== "string") return;
    if (typeof handle !== "object" || handle === null || !("unshift" in handle)) return;
    const socket = handle as NetSocket;
    http.emit("connection", socket);
    socket.unshift(Buffer.from(m.head, "base64"));
    socket.resume();
  });
  const report = (sid: string, open: boolean) => {
    if (process.connected) process.send?.({ tag: SID_TAG, sid, open });
  };
  io.engine.on("connection", (session) => {
    report(session.id, true);
    session.once("close", () => report(session.id, false));
  });
}
