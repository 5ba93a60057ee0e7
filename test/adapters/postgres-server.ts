/**
 * A private PostgreSQL cluster for the PostgreSQL adapter tests: `initdb` in a temporary folder,
 * `postgres` on a free loopback port (PostgreSQL takes no port 0: one is probed), trust
 * authentication for local connections. PostgreSQL refuses to run as root, so under root the
 * cluster belongs to the unprivileged `nobody` user (`runuser`). Debian's `postgresql` package
 * keeps its binaries in /usr/lib/postgresql/<version>/bin, off the PATH: they are looked up there.
 */
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../helpers/free-port.js";

const INSTALL_HINT = "PostgreSQL not found — install with: apt-get install -y postgresql";

/** The folder holding `initdb`, `pg_ctl` and `postgres`, if any. */
function findBinDir(): string | undefined {
  const which = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  const onPath = which.status === 0 ? which.stdout.trim() : "";
  if (onPath !== "") return onPath.slice(0, onPath.lastIndexOf("/"));
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], "bin");
}

const binDir = findBinDir();
const asRoot = process.getuid?.() === 0;
/** Under root: the unprivileged user that owns the cluster. */
const RUN_AS = "nobody";

function userIds(user: string): { uid: number; gid: number } | undefined {
  const uid = spawnSync("id", ["-u", user], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", user], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

const owner = asRoot ? userIds(RUN_AS) : undefined;

/** Why PostgreSQL tests are skipped here, or false when a private cluster can be started. */
export const pgMissing: string | false =
  binDir === undefined
    ? INSTALL_HINT
    : asRoot && (owner === undefined || spawnSync("runuser", ["--help"]).status !== 0)
      ? `running as root needs the '${RUN_AS}' user and runuser to start PostgreSQL`
      : false;

/** A running private PostgreSQL. */
export interface PostgresInstance {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  readonly url: string;
  /** Stops the server and removes its data folder. */
  dispose(): Promise<void>;
}

/** Runs one of PostgreSQL's programs (as `nobody` under root). */
function pgRun(program: string, args: string[]): { status: number | null; output: string } {
  const bin = join(binDir ?? "", program);
  const r = asRoot
    ? spawnSync("runuser", ["-u", RUN_AS, "--", bin, ...args], { encoding: "utf8" })
    : spawnSync(bin, args, { encoding: "utf8" });
  return { status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** Creates and starts a private cluster; resolves once it accepts connections. */
export async function startPostgres(): Promise<PostgresInstance> {
  if (pgMissing) throw new Error(pgMissing);
  const dir = mkdtempSync(join(tmpdir(), "tether-pg-"));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, "data");
  const init = pgRun("initdb", [
    "-D",
    data,
    "-U",
    "postgres",
    "-A",
    "trust",
    "--no-locale",
    "-E",
    "UTF8",
  ]);
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.output}`);
  }
  // The probed port may be taken between the probe and the start: a few attempts.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    const log = join(dir, "postgres.log");
    const started = pgRun("pg_ctl", ["start", "-D", data, "-l", log, "-w", "-t", "30", "-o", opts]);
    if (started.status === 0) {
      return {
        port,
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        async dispose() {
          pgRun("pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w"]);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (attempt >= 2) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`postgres did not start: ${started.output}`);
    }
  }
}
