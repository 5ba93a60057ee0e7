/**
 * A TCP proxy standing in for a load balancer: every new connection goes to the current
 * target port, and `switchTo` changes the target for connections opened from then on (open
 * ones stay where they are, as with a real balancer taking a node out of rotation).
 *
 * With `sticky`, HTTP long-polling keeps to its node the way a production balancer must
 * (HAProxy `balance url_param sid`, nginx `ip_hash`, cookies): the proxy reads the session id of
 * each polling handshake response and sends later requests carrying that `sid` to the same
 * node, whatever the current target.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { listen } from "./wait.js";

/** A running proxy on 127.0.0.1. */
export interface SwitchProxy {
  readonly port: number;
  readonly url: string;
  /** Sends connections opened from now on to `port`. */
  switchTo(port: number): void;
  /** Connections accepted so far, by target port. */
  readonly accepted: ReadonlyMap<number, number>;
  close(): Promise<void>;
}

const SID_IN_URL = /[?&]sid=([^&\s]+)/;
const SID_IN_OPEN = /0\{"sid":"([^"]+)"/;
/** Most bytes read to find a request line or a handshake's sid before giving up. */
const PEEK_LIMIT = 16 * 1024;

/** Starts a proxy on 127.0.0.1:0 that forwards to `target`. */
export async function startSwitchProxy(
  target: number,
  opts: { sticky?: boolean } = {},
): Promise<SwitchProxy> {
  let current = target;
  const sockets = new Set<Socket>();
  const accepted = new Map<number, number>();
  const sids = new Map<string, number>();

  const pipeTo = (down: Socket, port: number, head: Buffer | undefined, learn: boolean): void => {
    accepted.set(port, (accepted.get(port) ?? 0) + 1);
    const up = connect(port, "127.0.0.1");
    sockets.add(up);
    up.setNoDelay(true);
    // An end is passed on by pipe (after what was buffered); an error resets the other side.
    down.on("error", () => up.destroy());
    up.on("error", () => down.destroy()).on("close", () => sockets.delete(up));
    if (head !== undefined) up.write(head);
    down.pipe(up);
    if (!learn) {
      up.pipe(down);
      return;
    }
    let seen = "";
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString("latin1");
      const m = SID_IN_OPEN.exec(seen);
      if (m?.[1] !== undefined) sids.set(m[1], port);
      if (m !== null || seen.length > PEEK_LIMIT) up.off("data", onData);
    };
    up.on("data", onData);
    up.pipe(down);
  };

  const server: Server = createServer((down) => {
    sockets.add(down);
    down.setNoDelay(true);
    down.on("close", () => sockets.delete(down));
    if (opts.sticky !== true) {
      pipeTo(down, current, undefined, false);
      return;
    }
    // Read the request line first: a `sid` pins the request to the node that issued it.
    let head = Buffer.alloc(0);
    const onHead = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n");
      if (end === -1 && head.length < PEEK_LIMIT) return;
      down.off("data", onHead);
      down.pause();
      const line = head.subarray(0, end === -1 ? head.length : end).toString("latin1");
      const sid = SID_IN_URL.exec(line)?.[1];
      const pinned = sid === undefined ? undefined : sids.get(decodeURIComponent(sid));
      const handshake = sid === undefined && line.includes("transport=polling");
      pipeTo(down, pinned ?? current, head, handshake);
    };
    down.on("data", onHead);
    down.on("error", () => down.destroy());
  });
  const port = await listen(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    accepted,
    switchTo(p) {
      current = p;
    },
    close() {
      for (const s of sockets) s.destroy();
      sockets.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
