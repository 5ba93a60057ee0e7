/**
 * What an emitter (a process without a server) must achieve on a cluster, checked the same way
 * for Tether's emitter and `@socket.io/redis-emitter`, on Tether and official nodes: clients
 * connected across the nodes, an emitter on the cluster's Redis.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { eventually } from "../helpers/wait.js";
import type { NodeHandle, TestClient } from "./harness.js";

/** What the checks use of an emitter and of its broadcast operators. */
export interface Broadcaster {
  emit(ev: string, ...args: unknown[]): unknown;
  to(room: string): Broadcaster;
  except(room: string): Broadcaster;
  socketsJoin(room: string): unknown;
  socketsLeave(room: string): unknown;
  disconnectSockets(close?: boolean): unknown;
}

/** What both emitters offer (their own types differ in generics only). */
export interface AnyEmitter extends Broadcaster {
  to(room: string): AnyEmitter;
  except(room: string): AnyEmitter;
  of(nsp: string): AnyEmitter;
  serverSideEmit(ev: string, ...args: unknown[]): unknown;
}

/**
 * Registers the broadcast tests: to every client (binary included), and to a room with except
 * (`roomTitle` names that test). `emitter` and `spread` (three clients across the nodes) are
 * read when the tests run.
 */
export function broadcastTests(
  roomTitle: string,
  emitter: () => Broadcaster,
  spread: () => Promise<TestClient[]>,
): void {
  it("emits to every client on every node, binary included", async () => {
    await expectBroadcastToAll(emitter(), await spread());
  });

  it(roomTitle, async () => {
    await expectRoomAndExcept(emitter(), await spread());
  });
}

/** A broadcast, binary included, reaches every client. */
export async function expectBroadcastToAll(
  emitter: Broadcaster,
  clients: TestClient[],
): Promise<void> {
  emitter.emit("from-emitter", "hello", Buffer.from([1, 2, 255]));
  for (const c of clients) {
    const [args] = await c.waitFor("from-emitter");
    assert.equal(args?.[0], "hello");
    assert.deepEqual([...new Uint8Array(args?.[1] as ArrayBuffer)], [1, 2, 255]);
  }
}

/** Of three clients, two join a room and one of those a muted room: to() and except() hold. */
export async function expectRoomAndExcept(
  emitter: Broadcaster,
  clients: TestClient[],
): Promise<void> {
  const [c0, c1, c2] = clients as [TestClient, TestClient, TestClient];
  await Promise.all([
    c0.call("join", "em-room"),
    c1.call("join", "em-room"),
    c1.call("join", "em-muted"),
  ]);
  emitter.to("em-room").emit("room-msg", 1);
  emitter.to("em-room").except("em-muted").emit("room-msg", 2);
  emitter.emit("marker");
  await Promise.all(clients.map((c) => c.waitFor("marker")));
  await c0.waitFor("room-msg", 2);
  await c1.waitFor("room-msg", 1);
  assert.deepEqual(c0.received("room-msg"), [[1], [2]]);
  assert.deepEqual(c1.received("room-msg"), [[1]]);
  assert.equal(c2.received("room-msg").length, 0);
}

/**
 * Three clients join a room, all but the first leave it (as `node` counts them), then the
 * second is disconnected: resolves with its disconnect reason.
 */
export async function expectJoinLeaveDisconnect(
  emitter: Broadcaster,
  node: NodeHandle | undefined,
  clients: TestClient[],
): Promise<string> {
  const count = async (room: string) =>
    (await node?.call<{ sockets: unknown[] }>("fetchSockets", { rooms: [room] }))?.sockets.length;
  emitter.socketsJoin("em-joined");
  await eventually(
    () => count("em-joined"),
    (n) => n === 3,
    "3 sockets joined",
  );
  emitter.except(clients[0]?.socket.id ?? "").socketsLeave("em-joined");
  await eventually(
    () => count("em-joined"),
    (n) => n === 1,
    "2 sockets left",
  );
  const gone = new Promise<string>((r) => clients[1]?.socket.once("disconnect", r));
  emitter.to(clients[1]?.socket.id ?? "").disconnectSockets();
  return gone;
}

/** Every node's server-side listeners logged the `note` "from-cron" an emitter sent. */
export async function expectNoteOnEveryNode(nodes: NodeHandle[]): Promise<void> {
  for (const n of nodes) {
    await eventually(
      () => n.call<unknown[][]>("serverSideLog"),
      (log) => log.some((a) => a[0] === "from-cron"),
      `note on ${n.name}`,
    );
  }
}
