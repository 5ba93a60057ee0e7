import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  name: string;
  exports: Record<string, string | { types: string; import: string; require: string }>;
};

/** Names exported by `specifier` when loaded with import or require, in a clean child process. */
function exportedNames(specifier: string, mode: "import" | "require"): string[] {
  const code =
    mode === "import"
      ? `import(${JSON.stringify(specifier)}).then(m => console.log(JSON.stringify(Object.keys(m).sort())))`
      : `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(specifier)})).sort()))`;
  const out = execFileSync(process.execPath, ["-e", code], { cwd: root, encoding: "utf8" });
  return JSON.parse(out) as string[];
}

const expected: Record<string, string[]> = {
  ".": ["Server", "Namespace", "Socket", "BroadcastOperator", "RemoteSocket"],
  "./engine": ["EngineServer", "EngineSocket", "ClientSocket"],
  "./client": ["io", "Manager", "Socket", "Presence"],
  "./adapters/redis": ["createAdapter"],
  "./adapters/redis-streams": ["createAdapter"],
  "./adapters/cluster": ["createAdapter", "setupPrimary"],
  "./emitter": ["Emitter"],
  "./metrics": ["collectMetrics", "metricsHandler", "traceServer"],
};

describe("package entry points", () => {
  for (const [sub, target] of Object.entries(pkg.exports)) {
    if (typeof target === "string") continue;
    const specifier = sub === "." ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
    it(`${specifier} loads with both import and require, with type declarations`, () => {
      assert.ok(
        existsSync(join(root, target.types)),
        `missing ${target.types} (run npm run build)`,
      );
      const esm = exportedNames(specifier, "import").filter(
        (n) => n !== "default" && n !== "module.exports",
      );
      const cjs = exportedNames(specifier, "require").filter(
        (n) => n !== "default" && n !== "__esModule",
      );
      for (const name of expected[sub] ?? []) {
        assert.ok(esm.includes(name), `${specifier} (import) lacks ${name}`);
      }
      assert.deepEqual(cjs, esm, `${specifier}: require and import expose different names`);
    });
  }
});
