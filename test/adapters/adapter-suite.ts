/**
 * The one adapter behaviour suite, run against every backend (in-memory, node:cluster IPC,
 * Redis pub/sub, Redis Streams). Three server nodes in separate processes (one for in-memory),
 * official clients spread across them. On the single in-memory node, cross-node cases check that
 * nothing loops back to the emitting node.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { eventually, waitFor } from "../helpers/wait.js";
import {
  type Backend,
  closeClients,
  connectClient,
  type NodeHandle,
  type NodeSet,
  type TestClient,
  waitForServerCount,
} from "./harness.js";

interface FetchResult {
  sockets: Array<{ id: string; rooms: string[]; data: { node: string; user: string } }>;
  ms: number;
}

/** Registers the shared suite for `backend`. */
export function adapterSuite(backend: Backend): void {
  const nodeCount = backend.crossNode ? 3 : 1;
  describe(`adapter behaviour: ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let set: NodeSet;
    let nodes: NodeHandle[];
    const node = (i: number): NodeHandle => nodes[i % nodes.length] as NodeHandle;
    const last = () => node(nodeCount - 1);

    before(async () => {
      set = await backend.start(nodeCount);
      nodes = set.nodes;
      await waitForServerCount(nodes, nodeCount);
    });
    after(async () => {
      closeClients();
      await set?.close();
    });
    afterEach(() => closeClients());

    /** Two clients per node (`perNode` of them), named u0, u1, …, client i on node i % n. */
    async function spread(nsp = "/", perNode = 2): Promise<TestClient[]> {
      const count = nodeCount * perNode;
      return Promise.all(
        Array.from({ length: count }, (_, i) => connectClient(node(i).url, nsp, { user: `u${i}` })),
      );
    }

    /** Emits `marker` to everyone from `from` and waits for it everywhere (FIFO per sender). */
    async function flush(clients: TestClient[], from: NodeHandle, nsp = "/"): Promise<void> {
      const before = clients.map((c) => c.received("marker").length);
      await from.call("emit", { nsp, ev: "marker" });
      await Promise.all(clients.map((c, i) => c.waitFor("marker", (before[i] ?? 0) + 1)));
    }

    it("delivers a broadcast from one node to every client on every node", async () => {
      const clients = await spread();
      await node(0).call("emit", { ev: "news", payload: { n: 1 } });
      for (const c of clients) assert.deepEqual((await c.waitFor("news"))[0], [{ n: 1 }]);
    });

    it("delivers a room broadcast only to the room's members, wherever they are", async () => {
      const clients = await spread();
      const members = clients.filter((_, i) => i % 2 === 0);
      await Promise.all(members.map((c) => c.call("join", "r1")));
      await last().call("emit", { rooms: ["r1"], ev: "room-news", payload: "hi" });
      for (const c of members) assert.deepEqual((await c.waitFor("room-news"))[0], ["hi"]);
      await flush(clients, last());
      for (const c of clients)
        if (!members.includes(c)) assert.equal(c.received("room-news").length, 0);
    });

    it("excludes the members of an except room on every node", async () => {
      const clients = await spread();
      await Promise.all(clients.map((c) => c.call("join", "all")));
      const excluded = clients.filter((_, i) => i % 3 === 1);
      await Promise.all(excluded.map((c) => c.call("join", "muted")));
      await node(0).call("emit", { rooms: ["all"], except: ["muted"], ev: "x", payload: 1 });
      await node(0).call("emit", { rooms: ["all"], ev: "marker" });
      await Promise.all(clients.map((c) => c.waitFor("marker")));
      for (const c of clients) assert.equal(c.received("x").length, excluded.includes(c) ? 0 : 1);
    });

    it("sends socket.broadcast to every other client, not the sender", async () => {
      const clients = await spread();
      const [sender, ...others] = clients as [TestClient, ...TestClient[]];
      await sender.call("broadcast", "shout", "hey");
      for (const c of others) assert.deepEqual((await c.waitFor("shout"))[0], ["hey"]);
      await flush(clients, node(0));
      assert.equal(sender.received("shout").length, 0);
    });

    it("collects one ack per client from every node on a broadcast with acks", async () => {
      const clients = await spread();
      clients.forEach((c, i) => {
        c.socket.on("question", (q: string, cb: (a: string) => void) => cb(`${q}-u${i}`));
      });
      const result = await node(1).call<{ err: string | null; replies: string[] }>("emitWithAck", {
        ev: "question",
        payload: "q",
        timeout: 8000,
      });
      assert.equal(result.err, null);
      assert.deepEqual([...result.replies].sort(), clients.map((_, i) => `q-u${i}`).sort());
    });

    it("fetches the sockets of every node with their rooms and data", async () => {
      const clients = await spread();
      await Promise.all(clients.map((c) => c.call("join", "fetch-room")));
      const result = await last().call<FetchResult>("fetchSockets", { rooms: ["fetch-room"] });
      const ids = clients.map((c) => c.socket.id).sort();
      assert.deepEqual(result.sockets.map((s) => s.id).sort(), ids);
      for (const s of result.sockets) {
        assert.ok(s.rooms.includes("fetch-room") && s.rooms.includes(s.id));
        assert.match(s.data.user, /^u\d+$/);
      }
      const nodesSeen = new Set(result.sockets.map((s) => s.data.node));
      assert.equal(nodesSeen.size, nodeCount);
      const all = await node(0).call<string[]>("allSockets", { rooms: ["fetch-room"] });
      assert.deepEqual([...all].sort(), ids);
    });

    it("makes sockets on every node join and leave rooms (socketsJoin / socketsLeave)", async () => {
      const clients = await spread();
      const inRoom = async () =>
        (await node(1).call<FetchResult>("fetchSockets", { rooms: ["joined"] })).sockets.length;
      await node(0).call("socketsJoin", { room: "joined" });
      await eventually(inRoom, (n) => n === clients.length, "every socket in 'joined'");
      await last().call("emit", { rooms: ["joined"], ev: "joined-news" });
      await Promise.all(clients.map((c) => c.waitFor("joined-news")));
      const keep = clients[0]?.socket.id ?? "";
      await last().call("socketsLeave", { rooms: ["joined"], except: [keep], room: "joined" });
      await eventually(inRoom, (n) => n === 1, "only one socket left in 'joined'");
    });

    it("disconnects matching sockets on every node (disconnectSockets)", async () => {
      const clients = await spread();
      const doomed = clients.filter((_, i) => i < nodeCount);
      await Promise.all(doomed.map((c) => c.call("join", "doomed")));
      const reasons: string[] = [];
      for (const c of doomed) c.socket.on("disconnect", (r: string) => reasons.push(r));
      await last().call("disconnectSockets", { rooms: ["doomed"], close: false });
      await waitFor(() => reasons.length === doomed.length, 10_000, "doomed clients disconnected");
      assert.deepEqual(new Set(reasons), new Set(["io server disconnect"]));
      for (const c of clients) assert.equal(c.socket.connected, !doomed.includes(c));
    });

    it("answers serverSideEmit with one reply per other node", async () => {
      const result = await node(0).call<{ err: string | null; replies: Array<{ node: string }> }>(
        "serverSideEmitWithAck",
        { payload: 7 },
      );
      assert.equal(result.err, null);
      const expected = nodes.slice(1).map((n) => ({ node: n.name, arg: 7 }));
      assert.deepEqual(
        [...result.replies].sort((a, b) => a.node.localeCompare(b.node)),
        expected,
      );
    });

    it("delivers serverSideEmit to the listeners of the other nodes only (none on a single node)", async () => {
      await node(0).call("serverSideEmit", { payload: "note-1" });
      const noted = (log: unknown[][]) => log.some((a) => a[0] === "note-1");
      for (const n of nodes.slice(1)) {
        await eventually(() => n.call<unknown[][]>("serverSideLog"), noted, `note on ${n.name}`);
      }
      assert.equal((await node(0).call<unknown[][]>("serverSideLog")).length, 0);
    });

    it("broadcasts in a dynamic namespace to its clients on every node", async () => {
      const clients = await spread("/dyn-7", 1);
      const main = await connectClient(node(0).url, "/");
      await waitForServerCount(nodes, nodeCount, "/dyn-7");
      await last().call("emit", { nsp: "/dyn-7", ev: "dyn", payload: "d" });
      for (const c of clients) assert.deepEqual((await c.waitFor("dyn"))[0], ["d"]);
      await flush([main], node(0));
      assert.equal(main.received("dyn").length, 0);
    });

    it("carries binary payloads intact across nodes", async () => {
      const clients = await spread("/", 1);
      const bytes = [0, 1, 2, 127, 128, 254, 255];
      await node(0).call("emit", { ev: "bin", binary: bytes });
      for (const c of clients) {
        const [args] = await c.waitFor("bin");
        const got = args?.[0];
        assert.ok(
          got instanceof ArrayBuffer || ArrayBuffer.isView(got),
          "binary arrives as binary",
        );
        const view =
          got instanceof ArrayBuffer
            ? new Uint8Array(got)
            : new Uint8Array(
                (got as Uint8Array).buffer,
                (got as Uint8Array).byteOffset,
                (got as Uint8Array).byteLength,
              );
        assert.deepEqual([...view], bytes);
      }
    });

    it("keeps a local broadcast on its own node", async () => {
      const clients = await spread();
      await node(0).call("emitLocal", { ev: "local-news", payload: 1 });
      await flush(clients, node(0));
      clients.forEach((c, i) => {
        assert.equal(
          c.received("local-news").length,
          i % nodeCount === 0 ? 1 : 0,
          `client ${i}: ${JSON.stringify(c.events)}`,
        );
      });
    });
  });
}
