/**
 * Type tests for contracts: the server's namespaces and sockets and the client's socket are typed
 * from one contract (zod schemas), with no hand-written event interfaces. The fixtures in
 * `fixtures/contract/` are user code (never run); every `@ts-expect-error` line must be an error.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { fixtureDiagnostics } from "../helpers/type-fixtures.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "contract");
const format = (d: ts.Diagnostic) =>
  `${d.file?.fileName ?? ""}:${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;

describe("contract type tests", () => {
  it("types server handlers, acks and emits from the contract and rejects wrong payloads", () => {
    const file = join(dir, "server.ts");
    assert.deepEqual(fixtureDiagnostics([file], format).get(file), []);
  });

  it("types a client socket from the contract through a type-only import", () => {
    const file = join(dir, "client.ts");
    assert.deepEqual(fixtureDiagnostics([file], format).get(file), []);
  });

  it("fails to compile a wrong payload (the checker is live)", () => {
    const bad = join(dir, "negative.fixture.ts");
    ts.sys.writeFile(
      bad,
      `import { Server } from "../../../../src/index.js";
import { chat } from "./shared.js";
new Server().of("/c").contract(chat).on("connection", (s) => s.emit("said", { from: 1, text: "" }));
`,
    );
    try {
      const errors = fixtureDiagnostics([bad], format).get(bad) ?? [];
      assert.equal(errors.length, 1);
      assert.match(errors[0] ?? "", /number.*not assignable to type 'string'/s);
    } finally {
      ts.sys.deleteFile?.(bad);
    }
  });
});
