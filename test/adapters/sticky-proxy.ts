/**
 * A sticky HTTP load balancer on 127.0.0.1 for rolling-deploy tests, standing in for HAProxy
 * `balance url_param sid` / nginx sticky sessions in front of several nodes:
 *
 *   request without sid (handshake) ─▶ next node of the rotation (round-robin);
 *                                      the `sid` of the handshake response is learnt
 *   request / upgrade with sid      ─▶ the node that issued the sid, whatever the rotation
 *
 * It works per HTTP request, not per TCP connection, so keep-alive connections that carry
 * requests of several sessions are routed correctly. A node taken out of the rotation keeps its
 * sessions until it closes them; a client whose node went away handshakes again and lands on a
 * node of the rotation. A request for a node that is gone gets a 502 (a WebSocket upgrade, a
 * reset), which clients treat as a transport error.
 */
import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { listen } from "../helpers/wait.js";

/** A running sticky proxy. */
export interface StickyProxy {
  readonly port: number;
  readonly url: string;
  /** Puts a node (by port) into the rotation for new sessions. */
  add(port: number): void;
  /** Takes a node out of the rotation; its sessions stay pinned to it. */
  remove(port: number): void;
  /** New sessions (handshakes) routed so far, by node port. */
  readonly handshakes: ReadonlyMap<number, number>;
  close(): Promise<void>;
}

const SID_IN_URL = /[?&]sid=([^&]+)/;
const SID_IN_OPEN = /"sid":"([^"]+)"/;
/** Most bytes of a handshake response read to learn its sid. */
const PEEK_LIMIT = 4096;

function sidOf(url: string | undefined): string | undefined {
  const raw = SID_IN_URL.exec(url ?? "")?.[1];
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Starts a sticky proxy on 127.0.0.1:0 with `rotation` (node ports) for new sessions. */
export async function startStickyProxy(rotation: number[] = []): Promise<StickyProxy> {
  const pool = [...rotation];
  let next = 0;
  const owners = new Map<string, number>();
  const handshakes = new Map<number, number>();
  const tunnels = new Set<Duplex>();
  // A fresh upstream connection per request: a pooled one that the node closes as idle just as
  // it is reused would fail a request (a 502) for reasons of the proxy, not of the nodes.
  const agent = new Agent({ keepAlive: false });

  const pick = (sid: string | undefined): { port: number; learn: boolean } | undefined => {
    const owner = sid === undefined ? undefined : owners.get(sid);
    if (owner !== undefined) return { port: owner, learn: false };
    if (pool.length === 0) return undefined;
    const port = pool[next++ % pool.length] as number;
    handshakes.set(port, (handshakes.get(port) ?? 0) + 1);
    return { port, learn: sid === undefined };
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const target = pick(sidOf(req.url));
    if (target === undefined) {
      res.writeHead(503).end();
      return;
    }
    const up = request(
      {
        agent,
        host: "127.0.0.1",
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        let seen = target.learn ? "" : undefined;
        upRes.on("data", (chunk: Buffer) => {
          if (seen !== undefined) {
            seen += chunk.toString("latin1");
            const sid = SID_IN_OPEN.exec(seen)?.[1];
            if (sid !== undefined) owners.set(sid, target.port);
            if (sid !== undefined || seen.length > PEEK_LIMIT) seen = undefined;
          }
          res.write(chunk);
        });
        upRes.on("end", () => res.end());
        upRes.on("error", () => res.destroy());
      },
    );
    up.on("error", () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.on("error", () => up.destroy());
    req.pipe(up);
  };

  const onUpgrade = (req: IncomingMessage, down: Duplex, head: Buffer): void => {
    tunnels.add(down);
    down.on("close", () => tunnels.delete(down));
    down.on("error", () => down.destroy());
    const target = pick(sidOf(req.url));
    if (target === undefined) {
      down.destroy();
      return;
    }
    const up: Socket = connect(target.port, "127.0.0.1");
    tunnels.add(up);
    up.setNoDelay(true);
    up.on("close", () => tunnels.delete(up));
    up.on("error", () => down.destroy());
    down.on("close", () => up.destroy());
    up.on("close", () => down.destroy());
    const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    }
    up.write(`${lines.join("\r\n")}\r\n\r\n`);
    if (head.length > 0) up.write(head);
    down.pipe(up);
    up.pipe(down);
  };

  const server: Server = createServer(onRequest);
  server.on("upgrade", onUpgrade);
  server.on("clientError", (_err, socket) => socket.destroy());
  const port = await listen(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    handshakes,
    add(p) {
      if (!pool.includes(p)) pool.push(p);
    },
    remove(p) {
      const i = pool.indexOf(p);
      if (i !== -1) pool.splice(i, 1);
    },
    close() {
      for (const t of tunnels) t.destroy();
      tunnels.clear();
      agent.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
