/**
 * Integration: what a connection keeps of its handshake request. By default the
 * `IncomingMessage` is dropped once the connection joined its first namespace; `socket.request`
 * then rebuilds one from the kept URL and headers. `retainRequest` (or an engine middleware)
 * keeps the original.
 */
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { afterEach, describe, it } from "node:test";
import type { ServerOptions, Socket } from "../../src/index.js";
import { waitFor } from "../helpers/wait.js";
import {
  type Fixture,
  next,
  startServer,
  type TransportMode,
  transportOptions,
} from "../interop/server-harness.js";

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

/** Connects one client; resolves with the server socket and the request seen in `connection`. */
async function connect(
  opts: ServerOptions,
  mode: TransportMode,
  setup: (fx: Fixture) => void = () => {},
): Promise<{ socket: Socket; first: IncomingMessage }> {
  f = await startServer(opts);
  setup(f);
  const serverSide = new Promise<{ socket: Socket; first: IncomingMessage }>((resolve) =>
    // Through the engine session: reading `socket.request` itself would keep the request.
    f?.io.once("connection", (socket: Socket) => resolve({ socket, first: socket.conn.request })),
  );
  const c = f.client("/", {
    ...transportOptions(mode),
    query: { room: "r1" },
    extraHeaders: { "x-app": "7" },
  });
  await next(c, "connect");
  return serverSide;
}

/** The request is dropped right after the `connection` listeners ran (in a promise callback). */
async function discarded(socket: Socket, first: IncomingMessage): Promise<void> {
  await waitFor(() => socket.conn.request !== first, 5_000);
}

describe("handshake request retention", () => {
  for (const mode of ["websocket", "polling"] as const) {
    it(`drops the IncomingMessage after the first namespace joined and rebuilds it on access (${mode})`, async () => {
      const { socket, first } = await connect({}, mode);
      assert.equal(first.headers["x-app"], "7");
      await discarded(socket, first);
      const rebuilt = socket.request;
      assert.notEqual(rebuilt, first);
      assert.equal(rebuilt.method, "GET");
      assert.equal(rebuilt.url, first.url);
      assert.equal(rebuilt.headers["x-app"], "7");
      assert.equal(socket.conn.request, rebuilt, "the rebuilt request is cached");
      // The handshake does not depend on the request being kept.
      assert.equal(socket.handshake.headers["x-app"], "7");
      assert.equal(socket.handshake.query.room, "r1");
      assert.match(socket.handshake.address, /127\.0\.0\.1/);
    });
  }

  it("rebuilds the request on the session's TCP socket when it uses a WebSocket", async () => {
    const { socket, first } = await connect({}, "websocket");
    await discarded(socket, first);
    assert.match(socket.request.socket.remoteAddress ?? "", /127\.0\.0\.1/);
  });

  it("keeps the original request with retainRequest", async () => {
    const { socket, first } = await connect({ retainRequest: true }, "websocket");
    // The drop would have happened before the client saw CONNECT; give it two more turns anyway.
    await new Promise<void>((r) => setImmediate(r));
    await new Promise<void>((r) => setImmediate(r));
    assert.equal(socket.request, first);
  });

  it("keeps the original request when an engine middleware is registered", async () => {
    const { socket, first } = await connect({}, "websocket", (fx) =>
      fx.io.engine.use((req, _res, next) => {
        (req as IncomingMessage & { user?: string }).user = "ada";
        next();
      }),
    );
    await new Promise<void>((r) => setImmediate(r));
    await new Promise<void>((r) => setImmediate(r));
    assert.equal(socket.request, first);
    assert.equal((socket.request as IncomingMessage & { user?: string }).user, "ada");
  });
});
