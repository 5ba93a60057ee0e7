// Builds dist/: ESM + declarations with tsc, CommonJS bundles with esbuild (one per package export),
// then any extra build steps registered in scripts/build-steps/ (e.g. the browser client bundles).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

rmSync(join(root, "dist"), { recursive: true, force: true });
execFileSync(
  process.execPath,
  [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
  {
    cwd: root,
    stdio: "inherit",
  },
);

// A `<entry>.cjs-entry.ts` beside an entry replaces it in the CommonJS bundle (e.g. the callable
// `require("tether-io")`); tsc compiles it too, but the ESM build has no use for it.
const CJS_ENTRY = /\.cjs-entry\.(js|d\.ts)(\.map)?$/;
for (const f of readdirSync(join(root, "dist/esm")).filter((n) => CJS_ENTRY.test(n))) {
  rmSync(join(root, "dist/esm", f));
}
function cjsEntry(esmTarget) {
  const src = join(root, esmTarget.replace("./dist/esm/", "src/").replace(/\.js$/, ".ts"));
  const special = src.replace(/\.ts$/, ".cjs-entry.ts");
  return existsSync(special) ? special : src;
}

const external = [
  ...Object.keys(pkg.dependencies ?? {}),
  ...Object.keys(pkg.peerDependencies ?? {}),
];
const entries = Object.values(pkg.exports).filter((e) => typeof e === "object" && e.require);
await Promise.all(
  entries.map((e) =>
    build({
      entryPoints: [cjsEntry(e.import)],
      outfile: join(root, e.require),
      bundle: true,
      format: "cjs",
      platform: "node",
      target: "node20",
      sourcemap: true,
      external,
      logLevel: "warning",
      // Modules that need their own location guard `import.meta` behind `typeof __dirname`.
      // A `.cjs-entry.ts` assigns `module.exports` on purpose.
      logOverride: { "empty-import-meta": "silent", "commonjs-variable-in-esm": "silent" },
    }),
  ),
);

const stepsDir = join(root, "scripts/build-steps");
if (existsSync(stepsDir)) {
  for (const f of readdirSync(stepsDir)
    .filter((n) => n.endsWith(".mjs"))
    .sort()) {
    const step = await import(pathToFileURL(join(stepsDir, f)).href);
    await step.default(root);
  }
}
console.log("build: dist/ ready");
