/**
 * Type tests for the server generics `<ListenEvents, EmitEvents, ServerSideEvents, SocketData>`.
 * The functions below are upstream-typed user code (never run). The test compiles this file with
 * the TypeScript compiler API: any type error, or a `@ts-expect-error` that no longer errors
 * (i.e. types got too loose), fails the test. `npm run typecheck` checks it as well.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { type Namespace, type RemoteSocket, Server, type Socket } from "../../src/index.js";

interface ServerToClientEvents {
  noArg: () => void;
  basicEmit: (a: number, b: string, c: Buffer) => void;
  withAck: (d: string, callback: (e: number) => void) => void;
}
interface ClientToServerEvents {
  hello: () => void;
  question: (q: string, callback: (answer: string) => void) => void;
}
interface InterServerEvents {
  ping: () => void;
}
interface SocketData {
  name: string;
  age: number;
}
type TypedServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
type TypedSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

export async function typedUsage(io: TypedServer): Promise<void> {
  io.on("connection", (socket: TypedSocket) => {
    socket.emit("noArg");
    socket.emit("basicEmit", 1, "2", Buffer.from([3]));
    socket.emit("withAck", "4", (e) => {
      const n: number = e;
      void n;
    });
    // @ts-expect-error wrong argument type
    socket.emit("basicEmit", "1", "2", Buffer.from([3]));
    // @ts-expect-error unknown event
    socket.emit("unknown");
    socket.on("hello", () => {});
    socket.on("question", (q, cb) => cb(q.toUpperCase()));
    // Backpressure API: typed like emit, reserved `drain` without arguments.
    socket.latest().emit("basicEmit", 1, "2", Buffer.from([3]));
    io.to("room").latest("k").emit("noArg");
    // @ts-expect-error latest() keeps the event typing
    io.latest().emit("basicEmit", "1");
    const queued: number = socket.bufferedAmount;
    void queued;
    socket.on("drain", () => {});
    // @ts-expect-error listener does not match the event signature
    socket.on("hello", (x: number) => void x);
    socket.on("disconnect", (reason) => {
      const r: string = reason;
      void r;
    });
    socket.data.name = "john";
    // @ts-expect-error socket.data is typed
    socket.data.age = "not a number";
    socket.to("room").emit("basicEmit", 1, "2", Buffer.from([3]));
    socket.broadcast.emit("noArg");
    socket.timeout(1000).emit("withAck", "x", (err, e) => {
      const n: number = e;
      void [err, n];
    });
  });
  io.emit("noArg");
  io.to("room1")
    .except("room2")
    .emit("basicEmit", 1, "2", Buffer.from([3]));
  // @ts-expect-error broadcast arguments are typed too
  io.to("room1").emit("noArg", 1);
  io.timeout(1000).emit("withAck", "x", (err, responses) => {
    const all: number[] = responses;
    void [err, all];
  });
  const one: number = await io.sockets.sockets.get("id")!.emitWithAck("withAck", "x");
  const many: number[] = await io.timeout(10).emitWithAck("withAck", "x");
  void [one, many];
  io.serverSideEmit("ping");
  // @ts-expect-error unknown server-side event
  io.serverSideEmit("pong");
  io.on("ping", () => {});
  const admin: Namespace<
    ClientToServerEvents,
    ServerToClientEvents,
    InterServerEvents,
    SocketData
  > = io.of("/admin");
  admin.use((socket, next) => (socket.handshake.auth.token ? next() : next(new Error("no"))));
  const sockets: RemoteSocket<ServerToClientEvents, SocketData>[] = await io.fetchSockets();
  const name: string | undefined = sockets[0]?.data.name;
  void name;
}

export function untypedUsage(): void {
  const io = new Server();
  io.on("connection", (socket) => {
    socket.on("anything", (a: number, b: string, ack: (x: unknown) => void) => ack([a, b]));
    socket.emit("whatever", 1, { two: 2 }, () => {});
    socket.data.free = "form";
    io.to("r").emit("x", 1, 2, 3);
  });
}

const here = fileURLToPath(import.meta.url);

function diagnosticsFor(file: string): string[] {
  const root = join(dirname(here), "..", "..");
  const configPath = join(root, "tsconfig.json");
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram([file], { ...parsed.options, noEmit: true });
  const source = program.getSourceFile(file);
  return ts
    .getPreEmitDiagnostics(program, source)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

describe("server type tests", () => {
  it("compiles upstream-typed user code, and every @ts-expect-error line is an error", () => {
    assert.deepEqual(diagnosticsFor(here), []);
  });

  it("rejects code that misuses the typed API (the checker is live)", () => {
    const bad = join(dirname(here), "server-types-negative.fixture.ts");
    ts.sys.writeFile(
      bad,
      `import { Server } from "../../src/index.js";
interface E { a: (n: number) => void }
new Server<E, E>().emit("a", "not a number");
`,
    );
    try {
      const errors = diagnosticsFor(bad);
      assert.equal(errors.length, 1);
      assert.match(errors[0] ?? "", /not assignable to parameter of type 'number'/);
    } finally {
      ts.sys.deleteFile?.(bad);
    }
  });
});
