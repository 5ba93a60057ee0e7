/**
 * A TCP proxy standing in for a load balancer: every new connection goes to the current
 * target port, and `switchTo` changes the target for connections opened from then on (open
 * ones stay where they are, as with a real balancer taking a node out of rotation).
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

/** Starts a proxy on 127.0.0.1:0 that forwards to `target`. */
export async function startSwitchProxy(target: number): Promise<SwitchProxy> {
  let current = target;
  const sockets = new Set<Socket>();
  const accepted = new Map<number, number>();
  const server: Server = createServer((down) => {
    const port = current;
    accepted.set(port, (accepted.get(port) ?? 0) + 1);
    const up = connect(port, "127.0.0.1");
    sockets.add(down);
    sockets.add(up);
    down.setNoDelay(true);
    up.setNoDelay(true);
    // An end is passed on by pipe (after what was buffered); an error resets the other side.
    down.on("error", () => up.destroy()).on("close", () => sockets.delete(down));
    up.on("error", () => down.destroy()).on("close", () => sockets.delete(up));
    down.pipe(up);
    up.pipe(down);
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
