/**
 * Official `engine.io` servers and Tether Engine.IO clients for one test file, each registered
 * for disposal: after the file's tests, everything is closed, last registered first.
 */
import { createServer, type Server as HttpServer } from "node:http";
import { after } from "node:test";
import { type Server as EioServer, Server } from "engine.io";
import { ClientSocket } from "../../src/engine/client/index.js";
import { closeServer, listen } from "./wait.js";

/** What `engineHarness()` gives a test file. */
export interface EngineHarness {
  /** Disposers run after the file's tests, in reverse order; push your own resources here. */
  readonly cleanups: (() => unknown)[];
  /** An official engine.io server on 127.0.0.1, port 0. */
  engineServer(
    opts?: ConstructorParameters<typeof Server>[0],
  ): Promise<{ eio: EioServer; http: HttpServer; url: string }>;
  /** A Tether Engine.IO client connecting to `url`. */
  client(url: string, opts?: ConstructorParameters<typeof ClientSocket>[1]): ClientSocket;
}

/** Call once at the top of a test file: registers the `after` hook that disposes of everything. */
export function engineHarness(): EngineHarness {
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  return {
    cleanups,
    async engineServer(opts = {}) {
      const http = createServer();
      const eio: EioServer = new Server(opts);
      eio.attach(http);
      const port = await listen(http);
      cleanups.push(
        () => closeServer(http),
        () => eio.close(),
      );
      return { eio, http, url: `http://127.0.0.1:${port}` };
    },
    client(url, opts = {}) {
      const c = new ClientSocket(url, opts);
      cleanups.push(() => c.close());
      return c;
    },
  };
}
