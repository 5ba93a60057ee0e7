// Enforces the layer rule: dependencies point one way only (see ../shared/STYLE.md, "Layout").
// protocol ← parser ← engine ← server / client ; adapter interface ← adapters/<backend>.
// Browser-safe code (src/client, src/engine/client, src/parser, src/protocol, src/shared) must not
// import Node built-ins, except files named *.node.ts (Node-only transports).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");

/** layer → layers it may import from (itself always allowed). */
const allowed = {
  protocol: [],
  shared: [],
  parser: ["protocol", "shared"],
  "engine/server": ["protocol", "parser", "shared", "engine/common"],
  "engine/client": ["protocol", "parser", "shared", "engine/common"],
  "engine/common": ["protocol", "parser", "shared"],
  engine: ["protocol", "parser", "shared", "engine/server", "engine/client", "engine/common"],
  adapter: ["protocol", "parser", "shared"],
  server: ["protocol", "parser", "shared", "engine/server", "engine/common", "engine", "adapter"],
  client: ["protocol", "parser", "shared", "engine/client", "engine/common"],
  adapters: ["protocol", "parser", "shared", "adapter"],
  // Metrics and traces watch a server, its engine and its adapters.
  metrics: [
    "protocol",
    "parser",
    "shared",
    "engine",
    "engine/server",
    "engine/common",
    "server",
    "adapter",
  ],
  // The emitter publishes the Redis adapter's own messages on its channels.
  emitter: ["protocol", "parser", "shared", "adapter", "adapters"],
  "": [
    "protocol",
    "parser",
    "shared",
    "engine",
    "engine/server",
    "engine/common",
    "server",
    "adapter",
  ],
};
const browserSafe = ["protocol", "shared", "parser", "client", "engine/client", "engine/common"];
const nodeBuiltins = new Set([
  "fs",
  "path",
  "http",
  "https",
  "net",
  "tls",
  "zlib",
  "crypto",
  "stream",
  "events",
  "url",
  "os",
  "child_process",
  "cluster",
  "buffer",
  "util",
  "dgram",
  "worker_threads",
  "timers",
]);

function layerOf(file) {
  const rel = relative(src, file).split("\\").join("/");
  const parts = rel.split("/");
  if (parts.length === 1) return "";
  if (parts[0] === "engine" && parts.length > 2) return `engine/${parts[1]}`;
  return parts[0];
}

function walk(dir, out) {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (n.endsWith(".ts")) out.push(p);
  }
  return out;
}

const problems = [];
const importRe =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
for (const file of walk(src, [])) {
  const text = readFileSync(file, "utf8");
  const from = layerOf(file);
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith(".")) {
      const target = layerOf(resolve(dirname(file), spec));
      if (target !== from && !(allowed[from] ?? []).includes(target)) {
        problems.push(
          `${relative(root, file)}: layer '${from || "root"}' may not import '${spec}' (layer '${target || "root"}')`,
        );
      }
    } else {
      const bare = spec.replace(/^node:/, "").split("/")[0];
      const isNode = spec.startsWith("node:") || nodeBuiltins.has(bare);
      if (isNode && browserSafe.includes(from) && !file.endsWith(".node.ts")) {
        problems.push(
          `${relative(root, file)}: browser-safe layer '${from}' imports Node built-in '${spec}' (only *.node.ts may)`,
        );
      }
    }
  }
}
if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(`check-layers: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log("check-layers: ok");
