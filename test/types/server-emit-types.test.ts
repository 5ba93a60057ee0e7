/**
 * Type tests for what the server's emit methods accept and what acknowledgements receive, the
 * way code written for socket.io expects. Each fixture in `fixtures/server/` is user code for
 * one behaviour (never run); all are compiled in one program with the TypeScript compiler API.
 * A fixture passes when it has no diagnostics: every exact-type assertion holds and every
 * `@ts-expect-error` line really is an error (tsc reports unused directives).
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { fixtureDiagnostics } from "../helpers/type-fixtures.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const fixtures = join(root, "test", "types", "fixtures", "server");

const behaviours: ReadonlyArray<readonly [file: string, name: string]> = [
  ["exactly-is-strict.ts", "the exact-type assertion rejects types that are only assignable"],
  [
    "broadcast-ack-responses.ts",
    "a broadcast's acknowledgement receives an array with one answer per client",
  ],
  [
    "broadcast-timeout.ts",
    "timeout() on a broadcast puts the error before the answers, and applying it twice changes nothing",
  ],
  [
    "broadcast-emit-with-ack.ts",
    "a broadcast's emitWithAck requires timeout() and an acknowledged event, and resolves with every answer",
  ],
  ["namespace-emit.ts", "io.emit and namespace.emit refuse events that expect an acknowledgement"],
  [
    "socket-emit-with-ack.ts",
    "socket.emitWithAck takes only events ending in a callback and resolves with the single answer",
  ],
  [
    "send-message.ts",
    "send() and write() take the message event's parameters, and nothing when there is none",
  ],
  [
    "server-side-emit.ts",
    "serverSideEmit acknowledgements get the error and every server's answer; serverSideEmitWithAck resolves with them",
  ],
  [
    "remote-socket-timeout.ts",
    "timeout() on a fetched socket gives the error then that socket's single answer",
  ],
  [
    "untyped.ts",
    "an untyped map accepts any event and yields any from acknowledgements; one untyped listener relaxes a typed map",
  ],
];

describe("server emit and acknowledgement types", () => {
  let diagnostics = new Map<string, string[]>();

  before(() => {
    diagnostics = fixtureDiagnostics(
      behaviours.map(([file]) => join(fixtures, file)),
      (d) => {
        const line =
          d.file && d.start !== undefined
            ? `${d.file.fileName.slice(fixtures.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: `
            : "";
        return line + ts.flattenDiagnosticMessageText(d.messageText, "\n");
      },
    );
  });

  for (const [file, name] of behaviours) {
    it(name, () => {
      assert.deepEqual(diagnostics.get(join(fixtures, file)), []);
    });
  }
});
