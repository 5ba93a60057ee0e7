/**
 * The `node:cluster` adapter: cluster messages over the IPC channel between each worker and the
 * primary, which relays them to the other workers ({@link setupPrimary}). No Redis needed; one
 * machine only. Messages are msgpack bytes in base64, so they survive the default JSON IPC
 * serialization as well as `serialization: "advanced"`.
 */
import cluster from "node:cluster";
import { ClusterAdapter, type ClusterAdapterOptions } from "../../adapter/cluster-adapter.js";
import {
  type ClusterMessage,
  decodeClusterMessage,
  encodeClusterMessage,
} from "../../adapter/cluster-message.js";
import type { AdapterHost } from "../../adapter/types.js";
import { TetherError } from "../../shared/errors.js";

/** Tag of the IPC envelopes of this adapter (other IPC traffic is left alone). */
export const IPC_TAG = "tether:cluster";

/** One IPC message: `data` is a base64 msgpack cluster message, `to` a node id for responses. */
export interface IpcEnvelope {
  readonly tag: typeof IPC_TAG;
  readonly data: string;
  readonly to?: string;
}

/** Error codes of the `node:cluster` adapter. */
export const NodeClusterErrorCodes = {
  /** `createAdapter()` called in a process without an IPC channel (not a cluster worker). */
  NOT_A_WORKER: "ADAPTER_ERR_NOT_A_WORKER",
} as const;

function isEnvelope(msg: unknown): msg is IpcEnvelope {
  return (
    typeof msg === "object" &&
    msg !== null &&
    (msg as { tag?: unknown }).tag === IPC_TAG &&
    typeof (msg as { data?: unknown }).data === "string"
  );
}

/** The adapters of this process, fed by one IPC listener. */
const local = new Set<NodeClusterAdapter>();

function onIpc(msg: unknown): void {
  if (!isEnvelope(msg)) return;
  let targets = [...local];
  if (msg.to !== undefined) targets = targets.filter((a) => a.uid === msg.to);
  if (targets.length === 0) return;
  const result = decodeClusterMessage(Buffer.from(msg.data, "base64"));
  if (!result.ok) {
    for (const a of targets) a.emit("error", result.error);
    return;
  }
  for (const a of targets) if (a.nsp.name === result.value.nsp) a.onMessage(result.value);
}

function send(envelope: IpcEnvelope): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send || !process.connected) {
      reject(new Error("IPC channel closed"));
      return;
    }
    process.send(envelope, undefined, {}, (err: Error | null) => (err ? reject(err) : resolve()));
  });
}

/** Options of the `node:cluster` adapter. */
export type NodeClusterAdapterOptions = ClusterAdapterOptions;

/** A namespace's adapter over `node:cluster` IPC. */
export class NodeClusterAdapter extends ClusterAdapter {
  constructor(nsp: AdapterHost, opts: NodeClusterAdapterOptions = {}) {
    super(nsp, opts);
    if (typeof process.send !== "function") {
      throw new TetherError(
        NodeClusterErrorCodes.NOT_A_WORKER,
        "the cluster adapter runs in cluster workers (process.send is missing)",
      );
    }
  }

  override init(): void {
    if (local.size === 0) process.on("message", onIpc);
    local.add(this);
    super.init();
  }

  override async close(): Promise<void> {
    await super.close();
    local.delete(this);
    if (local.size === 0) process.off("message", onIpc);
  }

  protected override publish(message: ClusterMessage): Promise<void> {
    return send({
      tag: IPC_TAG,
      data: Buffer.from(encodeClusterMessage(message)).toString("base64"),
    });
  }

  protected override publishResponse(uid: string, message: ClusterMessage): Promise<void> {
    const data = Buffer.from(encodeClusterMessage(message)).toString("base64");
    return send({ tag: IPC_TAG, data, to: uid });
  }
}

/**
 * Relays cluster messages between workers; call once in the primary. Returns a function that
 * stops relaying.
 * @example
 * if (cluster.isPrimary) { setupPrimary(); for (let i = 0; i < 4; i++) cluster.fork(); }
 */
export function setupPrimary(): () => void {
  const relay = (from: { id: number }, msg: unknown) => {
    if (!isEnvelope(msg)) return;
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (!worker || worker.id === from.id || !worker.isConnected()) continue;
      worker.send(msg, (err: Error | null) => {
        // A worker exiting between the check and the send: it is gone, nothing to relay to.
        void err;
      });
    }
  };
  cluster.on("message", relay);
  return () => cluster.off("message", relay);
}
