/**
 * `tether-io/adapters/cluster`: one Tether cluster across the workers of `node:cluster`, over
 * IPC (no Redis), plus sticky sessions in the primary so long-polling requests of a session
 * reach the worker that owns it.
 * @example
 * import cluster from "node:cluster";
 * import { createServer } from "node:http";
 * import { Server } from "tether-io";
 * import { createAdapter, setupPrimary, setupStickyPrimary, setupStickyWorker } from "tether-io/adapters/cluster";
 * if (cluster.isPrimary) {
 *   setupPrimary();
 *   setupStickyPrimary({ port: 3000 });
 *   for (let i = 0; i < 4; i++) cluster.fork();
 * } else {
 *   const http = createServer();
 *   const io = new Server(http, { adapter: createAdapter() });
 *   setupStickyWorker(http, io);
 * }
 */
import type { AdapterHost } from "../../adapter/types.js";
import { NodeClusterAdapter, type NodeClusterAdapterOptions } from "./node-cluster-adapter.js";

export {
  IPC_TAG,
  NodeClusterAdapter,
  type NodeClusterAdapterOptions,
  NodeClusterErrorCodes,
  setupPrimary,
} from "./node-cluster-adapter.js";
export {
  type StickyPrimary,
  type StickyPrimaryOptions,
  setupStickyPrimary,
  setupStickyWorker,
} from "./sticky.js";

/**
 * Returns the adapter factory for `new Server(…, { adapter })` in a cluster worker.
 * @example new Server(http, { adapter: createAdapter({ requestsTimeout: 3000 }) });
 */
export function createAdapter(
  opts: NodeClusterAdapterOptions = {},
): (nsp: AdapterHost) => NodeClusterAdapter {
  return (nsp) => new NodeClusterAdapter(nsp, opts);
}
