/**
 * A TCP proxy that can stop passing the server's bytes on to the client: how a client that stops
 * reading looks to the server, for clients (such as the official `socket.io-client`) whose sockets
 * a test cannot pause itself. While stalled, the proxy stops reading from the server side of the
 * connections open at that moment, so the server's writes back up (polling: the answer to a GET
 * never reaches the client, which therefore sends no next GET). Connections opened later flow
 * normally. When the server closes a stalled connection, the client side is destroyed at once (a
 * reset, as a dead peer would see).
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { listen } from "../../helpers/wait.js";

interface Pair {
  readonly down: Socket;
  readonly up: Socket;
  stalled: boolean;
}

/** A running proxy on 127.0.0.1. */
export interface PauseProxy {
  readonly port: number;
  readonly url: string;
  /** Stops passing server bytes on, for every connection open now. */
  stall(): void;
  /** Passes server bytes on again for the stalled connections still open. */
  resume(): void;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1:0 forwarding to `target`. */
export async function startPauseProxy(target: number): Promise<PauseProxy> {
  const pairs = new Set<Pair>();
  const server: Server = createServer((down) => {
    const up = connect(target, "127.0.0.1");
    const pair: Pair = { down, up, stalled: false };
    pairs.add(pair);
    down.setNoDelay(true);
    up.setNoDelay(true);
    const drop = (): void => {
      pairs.delete(pair);
      down.destroy();
      up.destroy();
    };
    down.on("error", drop).on("close", drop);
    up.on("error", drop);
    // A stalled pair is reset when the server closes; otherwise its end is passed on.
    up.on("close", () => {
      if (pair.stalled) drop();
    });
    up.on("end", () => {
      if (pair.stalled) drop();
    });
    down.pipe(up);
    up.pipe(down);
  });
  const port = await listen(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    stall() {
      for (const p of pairs) {
        p.stalled = true;
        p.up.unpipe(p.down);
        p.up.pause();
      }
    },
    resume() {
      for (const p of pairs) {
        if (!p.stalled) continue;
        p.stalled = false;
        p.up.pipe(p.down);
      }
    },
    close() {
      for (const p of pairs) {
        p.down.destroy();
        p.up.destroy();
      }
      pairs.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
