/**
 * Type tests for the typed client, compiled with the TypeScript compiler API (never run).
 * - An in-memory fixture: every `@ts-expect-error` line must really be an error (tsc reports
 *   unused ones), and the same fixture without those directives must fail on those lines.
 * - One fixture per behaviour in `fixtures/client/` (user code written for socket.io-client):
 *   it passes when it has no diagnostics, i.e. every exact-type assertion holds and every
 *   `@ts-expect-error` line is an error.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { fixtureDiagnostics, projectCompilerOptions } from "../helpers/type-fixtures.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const fixturePath = join(root, "test/types/__client-types-fixture.ts");

const fixture = `
import { io, type Socket } from "../../src/client/index.js";

interface ServerToClient {
  news: (title: string, body: { text: string }) => void;
}
interface ClientToServer {
  hello: (name: string) => void;
  sum: (a: number, b: number, ack: (total: number) => void) => void;
}

const socket: Socket<ServerToClient, ClientToServer> = io("http://localhost:3000");
socket.on("news", (title, body) => {
  const t: string = title;
  const x: string = body.text;
  void t; void x;
});
socket.on("connect_error", (err) => void err.message);
socket.on("disconnect", (reason) => { const r: string = reason; void r; });
socket.emit("hello", "ann");
socket.emit("sum", 1, 2, (total) => { const n: number = total; void n; });
socket.timeout(100).emit("sum", 1, 2, (err, total) => { const e: Error = err; const n: number = total; void e; void n; });
async function f() {
  const total: number = await socket.emitWithAck("sum", 1, 2);
  void total;
}
void f;
// @ts-expect-error unknown event
socket.emit("nope");
// @ts-expect-error wrong argument type
socket.emit("hello", 42);
// @ts-expect-error listener with the wrong parameter type
socket.on("news", (title: number) => void title);
// @ts-expect-error the ack of a timeout emit receives an error first
socket.timeout(100).emit("sum", 1, 2, (total: number) => void total);
// @ts-expect-error emitWithAck resolves with the ack's argument type
const wrong: string = await socket.emitWithAck("sum", 1, 2);
void wrong;
// @ts-expect-error reserved events have fixed listeners
socket.on("connect", (x: number) => void x);
export {};
`;

function diagnostics(source: string): ts.Diagnostic[] {
  const options = projectCompilerOptions();
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (p) => (p === fixturePath ? source : readFile(p));
  host.fileExists = (
    (exists) => (p: string) =>
      p === fixturePath || exists(p)
  )(host.fileExists.bind(host));
  host.getSourceFile = (p, lang, onError, create) =>
    p === fixturePath
      ? ts.createSourceFile(p, source, lang, true)
      : getSourceFile(p, lang, onError, create);
  const program = ts.createProgram([fixturePath], options, host);
  return [...ts.getPreEmitDiagnostics(program)].filter((d) => d.file?.fileName === fixturePath);
}

function lineOf(d: ts.Diagnostic): number {
  return d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
}

test("typed sockets accept the declared events and reject every marked misuse", () => {
  const errors = diagnostics(fixture).map((d) =>
    ts.flattenDiagnosticMessageText(d.messageText, "\n"),
  );
  assert.deepEqual(errors, []);
});

test("without the @ts-expect-error directives, each marked line is a type error", () => {
  const lines = fixture.split("\n");
  const marked = new Set<number>();
  lines.forEach((l, i) => {
    if (l.includes("@ts-expect-error")) marked.add(i + 1);
  });
  const stripped = lines.map((l) => (l.includes("@ts-expect-error") ? "" : l)).join("\n");
  const errorLines = new Set(diagnostics(stripped).map(lineOf));
  for (const line of marked)
    assert.ok(errorLines.has(line), `line ${line + 1} should not compile: ${lines[line]}`);
});

const fixtures = join(root, "test", "types", "fixtures", "client");

const behaviours: ReadonlyArray<readonly [file: string, name: string]> = [
  [
    "disconnect-reason.ts",
    "Socket.DisconnectReason names the disconnect reasons, merged with the Socket class",
  ],
  [
    "untyped-any.ts",
    "without event maps, listener, acknowledgement and catch-all arguments and emitWithAck results are any",
  ],
  ["connect-error.ts", "connect_error gives an ExtendedError whose data is any"],
  [
    "emit-with-ack.ts",
    "emitWithAck resolves with the acknowledgement's value, after timeout() too (not the error)",
  ],
  [
    "timeout-acks.ts",
    "timeout() puts one Error before the acknowledgement's arguments, even when applied twice",
  ],
  ["auth.ts", "auth accepts objects typed by an interface, directly or through the callback"],
  [
    "listeners.ts",
    "listener methods type reserved and declared events and remove listeners without arguments",
  ],
  [
    "manager-generics.ts",
    "Manager takes the event maps as type parameters and a typed socket's io carries them",
  ],
  ["engine-access.ts", "socket.io.engine is typed as present, as socket.io-client's"],
  ["exports.ts", "the type names socket.io-client exports are exported under the same names"],
  [
    "presence.ts",
    "Presence takes Tether's or socket.io-client's socket when its listen map allows the presence events, and types list() and callbacks by the meta",
  ],
];

describe("client types as socket.io-client's", () => {
  let found = new Map<string, string[]>();

  before(() => {
    found = fixtureDiagnostics(
      behaviours.map(([file]) => join(fixtures, file)),
      (d) => `${lineOf(d) + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`,
    );
  });

  for (const [file, name] of behaviours) {
    test(name, () => {
      assert.deepEqual(found.get(join(fixtures, file)), []);
    });
  }
});
