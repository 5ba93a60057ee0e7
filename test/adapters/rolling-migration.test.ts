/**
 * A live socket.io cluster moved to Tether one node at a time, as an operator would do it:
 * three official socket.io nodes (`@socket.io/redis-streams-adapter`, connection state recovery)
 * behind a sticky balancer, official clients in shared rooms. Each round starts a Tether node on
 * the same Redis stream and session keys; it joins a driver broadcasting numbered messages from
 * the Tether nodes for the rest of the procedure, and takes the rotation, out of which every
 * official node goes; then one official node is drained (closed with its clients' sessions
 * persisted: they reconnect through the balancer and recover on a Tether node). A last round
 * rolls a Tether node the same way. At the end every client sits on a Tether node, every
 * reconnection recovered, and every broadcast reached every client of its rooms exactly once
 * (raw deliveries counted: the clients dedupe nothing). docs/scaling.md explains why official
 * nodes neither broadcast nor restore sessions during the procedure.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { waitFor } from "../helpers/wait.js";
import {
  closeClients,
  connectClient,
  NODE_SCRIPT,
  type NodeHandle,
  randomPrefix,
  SIO_NODE_SCRIPT,
  type TestClient,
  waitForServerCount,
} from "./harness.js";
import { forkNamedNode } from "./named-node.js";
import { type RedisInstance, redisMissing, startRedis } from "./redis-server.js";
import { type StickyProxy, startStickyProxy } from "./sticky-proxy.js";

const NODES = 3;
const CLIENTS = 12;
const ROOMS = ["north", "south", "east"] as const;
/** What the driver broadcasts to, in turn: single rooms and a union of two. */
const TARGETS: string[][] = [["north"], ["south"], ["east"], ["north", "east"]];
/** Milliseconds between two broadcasts of the driver. */
const PACE_MS = 8;
/** Upper bound on broadcasts, whatever the machine's speed. */
const MAX_BROADCASTS = 4000;

/** One official client and what it saw. */
interface Member {
  readonly client: TestClient;
  readonly rooms: ReadonlySet<string>;
  /** `socket.recovered` of each reconnection, in order. */
  readonly reconnections: boolean[];
  /** The node it is connected to (asked again on every reconnection). */
  node: Promise<string>;
  /** Where it was when: for the report of a failure. */
  readonly history: string[];
}

const whereIs = (client: TestClient): Promise<string> =>
  client.call<{ node: string }>("whoami").then((info) => info.node);

function roomsOf(k: number): string[] {
  const rooms = [ROOMS[k % ROOMS.length] as string];
  if (k % 2 === 0) rooms.push(ROOMS[(k + 1) % ROOMS.length] as string);
  return rooms;
}

/** Broadcasts numbered messages from the nodes in service until stopped. */
class Driver {
  readonly sent: Array<{ seq: number; rooms: string[]; from: string; at: number }> = [];
  readonly #t0 = Date.now();
  readonly failures: string[] = [];
  readonly #senders: NodeHandle[];
  #inFlight: Promise<unknown> = Promise.resolve();
  #running = true;
  readonly #loop: Promise<void>;

  constructor(senders: NodeHandle[]) {
    this.#senders = [...senders];
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    for (let seq = 0; this.#running && seq < MAX_BROADCASTS; seq++) {
      const node = this.#senders[seq % this.#senders.length] as NodeHandle;
      const rooms = TARGETS[seq % TARGETS.length] as string[];
      const call = node.call("emit", { rooms, ev: "m", payload: seq });
      this.#inFlight = call;
      try {
        await call;
        this.sent.push({ seq, rooms, from: node.name, at: Date.now() - this.#t0 });
      } catch (err) {
        this.failures.push(`#${seq} from ${node.name}: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, PACE_MS));
    }
  }

  add(node: NodeHandle): void {
    this.#senders.push(node);
  }

  /** Stops broadcasting from `node`; resolves once its last broadcast was handed over. */
  async remove(node: NodeHandle): Promise<void> {
    const i = this.#senders.indexOf(node);
    if (i === -1) return;
    this.#senders.splice(i, 1);
    await this.#inFlight.catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }
}

const nodes: NodeHandle[] = [];
let redis: RedisInstance | undefined;
let proxy: StickyProxy | undefined;
let driver: Driver | undefined;
after(async () => {
  await driver?.stop();
  closeClients();
  await proxy?.close();
  await Promise.all(nodes.map((n) => n.kill()));
  await redis?.dispose();
});

describe(
  "rolling migration from socket.io to Tether (Redis Streams)",
  { skip: redisMissing },
  () => {
    it(
      "replaces 3 official nodes with Tether nodes one drained node at a time, then rolls a Tether node, and every broadcast reaches every client exactly once",
      {
        timeout: 90_000,
      },
      async (t) => {
        const started = Date.now();
        let t0 = started;
        redis = await startRedis();
        const env = { REDIS_URL: redis.url, KEY_PREFIX: randomPrefix(), RECOVERY: "1" };
        const officials = await Promise.all(
          Array.from({ length: NODES }, (_, i) =>
            forkNamedNode(SIO_NODE_SCRIPT, "official-redis-streams", `official${i}`, env),
          ),
        );
        nodes.push(...officials);
        await waitForServerCount(officials, NODES);
        proxy = await startStickyProxy(officials.map((n) => n.port));

        // Clients through the balancer, long-polling first then WebSocket (sid stickiness matters).
        const members: Member[] = [];
        for (let k = 0; k < CLIENTS; k++) {
          const client = await connectClient(proxy.url, "/", {
            user: `c${k}`,
            reconnection: true,
            transports: ["polling", "websocket"],
          });
          const rooms = roomsOf(k);
          for (const room of rooms) await client.call("join", room);
          const member: Member = {
            client,
            rooms: new Set(rooms),
            reconnections: [],
            node: whereIs(client),
            history: [],
          };
          const locate = () => {
            const at = Date.now() - t0;
            void member.node.then((node) => member.history.push(`${node}@${at}`));
          };
          locate();
          client.socket.on("disconnect", (reason) =>
            member.history.push(`${reason}@${Date.now() - t0}`),
          );
          client.socket.on("connect_error", (err) =>
            member.history.push(`connect_error:${err.message}@${Date.now() - t0}`),
          );
          client.socket.io.on("reconnect_error", (err) =>
            member.history.push(`reconnect_error:${err.message}@${Date.now() - t0}`),
          );
          client.socket.io.on("reconnect_attempt", (n) =>
            member.history.push(`attempt${n}@${Date.now() - t0}`),
          );
          client.socket.on("connect", () => {
            member.reconnections.push(client.socket.recovered);
            member.node = whereIs(client);
            locate();
          });
          members.push(member);
        }
        assert.deepEqual(
          officials.map((n) => proxy?.handshakes.get(n.port)),
          [CLIENTS / NODES, CLIENTS / NODES, CLIENTS / NODES],
        );

        const tethers: NodeHandle[] = [];
        /** The procedure, timed: for the report of a failure. */
        const steps: string[] = [];
        const live = (): NodeHandle[] => nodes.filter((n) => n.alive);
        let d: Driver | undefined;
        // Rounds 0–2 replace an official node; round 3 is the first rolling deploy of Tether
        // nodes after the migration (tether0 gives way to tether3).
        for (let i = 0; i <= NODES; i++) {
          const leaving = (i < NODES ? officials[i] : tethers[0]) as NodeHandle;
          // 1. Start a Tether node on the same stream and session keys; wait until it is in the cluster.
          const tether = await forkNamedNode(NODE_SCRIPT, "redis-streams", `tether${i}`, env);
          nodes.push(tether);
          tethers.push(tether);
          await waitForServerCount(live(), live().length);
          // 2. It broadcasts, and takes the new sessions: the official nodes leave the rotation
          //    (their sessions stay pinned to them), so a client moves once, to a Tether node.
          if (d === undefined) {
            t0 = Date.now();
            d = new Driver([tether]);
            driver = d;
            // Recovery needs an offset: every client has had a broadcast before the first drain.
            await waitFor(
              () => members.every((m) => m.client.received("m").length > 0),
              15_000,
              "a first broadcast on every client",
            );
          } else {
            d.add(tether);
          }
          proxy.add(tether.port);
          for (const o of officials) proxy.remove(o.port);
          proxy.remove(leaving.port);
          await d.remove(leaving);
          // 3. Drain: close it with its clients' sessions persisted; they recover elsewhere.
          const where = await Promise.all(members.map((m) => m.node));
          const moving = members.filter((_, j) => where[j] === leaving.name);
          const before = moving.map((m) => m.reconnections.length);
          steps.push(`close ${leaving.name}@${Date.now() - t0}`);
          await leaving.call("close");
          steps.push(`closed ${leaving.name}@${Date.now() - t0}`);
          await waitFor(
            () =>
              moving.every(
                (m, j) => m.reconnections.length > (before[j] ?? 0) && m.client.socket.connected,
              ),
            20_000,
            `the clients of ${leaving.name} to reconnect`,
          );
          await leaving.kill();
        }

        if (d === undefined) throw new Error("no round ran");
        await d.stop();
        // A fence from every node: the stream is one ordered log, so once a client has the fences
        // read by its node from the stream, every earlier broadcast was processed there too.
        const serving = tethers.filter((n) => n.alive);
        for (const tether of serving)
          await tether.call("emit", { ev: "fence", payload: tether.name });
        await waitFor(
          () => members.every((m) => m.client.received("fence").length >= serving.length),
          15_000,
          "the fences on every client",
        );

        let expected = 0;
        let delivered = 0;
        let lost = 0;
        let duplicated = 0;
        const problems: string[] = [];
        for (const m of members) {
          const counts = new Map<number, number>();
          for (const [seq] of m.client.received("m") as Array<[number]>) {
            counts.set(seq, (counts.get(seq) ?? 0) + 1);
            delivered++;
          }
          for (const b of d.sent) {
            const wanted = b.rooms.some((r) => m.rooms.has(r));
            const got = counts.get(b.seq) ?? 0;
            counts.delete(b.seq);
            if (wanted) expected++;
            const want = wanted ? 1 : 0;
            if (got < want) lost++;
            if (got > want) duplicated += got - want;
            if (got !== want && problems.length < 10) {
              problems.push(
                `${m.client.socket.id}: #${b.seq} (${b.from} @${b.at}) got ${got}, want ${want}; ` +
                  m.history.join(" "),
              );
            }
          }
          // Deliveries of broadcasts the driver never counted as sent.
          for (const [seq, got] of counts) {
            duplicated += got;
            if (problems.length < 10)
              problems.push(`${m.client.socket.id}: unsent #${seq} got ${got}`);
          }
        }
        const reconnections = members.reduce((n, m) => n + m.reconnections.length, 0);
        const recoveries = members.reduce((n, m) => n + m.reconnections.filter(Boolean).length, 0);
        t.diagnostic(
          `broadcasts sent ${d.sent.length}, deliveries expected ${expected}, delivered ${delivered}, ` +
            `lost ${lost}, duplicated ${duplicated}, reconnections ${reconnections}, ` +
            `recoveries ${recoveries}, ${Date.now() - started} ms`,
        );

        assert.deepEqual(d.failures, []);
        assert.ok(d.sent.length >= 100, `only ${d.sent.length} broadcasts`);
        assert.deepEqual(problems, [], steps.join(" "));
        assert.equal(lost, 0);
        assert.equal(duplicated, 0);
        assert.equal(delivered, expected);
        assert.ok(officials.every((n) => !n.alive));
        for (const m of members) {
          assert.ok(m.reconnections.length >= 1, `${m.client.socket.id} never moved`);
          assert.ok(m.reconnections.every(Boolean), `${m.client.socket.id}: ${m.reconnections}`);
          const info = await m.client.call<{ node: string; recovered: boolean }>("whoami");
          assert.ok(
            serving.some((n) => n.name === info.node),
            `${m.client.socket.id} is on ${info.node}`,
          );
          assert.equal(info.recovered, true);
        }
      },
    );
  },
);
