/**
 * First run: npm 11 warns about every dependency whose install script `package.json` does not
 * cover in `allowScripts` ("not yet covered by allowScripts"). Every package of the lockfile that
 * has an install script must be declared there, so a newcomer's `npm install` prints no warning.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const readJson = (name: string): unknown => JSON.parse(readFileSync(join(root, name), "utf8"));

describe("install scripts on a first npm install", () => {
  it("declares every lockfile package with an install script in allowScripts", () => {
    const pkg = readJson("package.json") as { allowScripts?: Record<string, unknown> };
    const lock = readJson("package-lock.json") as {
      packages: Record<string, { hasInstallScript?: boolean; name?: string }>;
    };
    const withScripts = new Set<string>();
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (!entry.hasInstallScript || path === "") continue;
      withScripts.add(entry.name ?? path.slice(path.lastIndexOf("node_modules/") + 13));
    }
    assert.ok(withScripts.size > 0, "the lockfile has packages with install scripts (esbuild)");
    const allowed = pkg.allowScripts ?? {};
    for (const name of withScripts) {
      assert.equal(
        allowed[name],
        true,
        `${name} runs an install script: allow it in package.json "allowScripts"`,
      );
    }
  });
});
