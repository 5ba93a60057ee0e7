/** The shared adapter suite on the node:cluster IPC adapter: three workers of this process. */
import { adapterSuite } from "./adapter-suite.js";
import { forkWorkers } from "./harness.js";

adapterSuite({
  name: "node:cluster IPC",
  crossNode: true,
  recoveryAcrossNodes: false,
  start: (count, env = {}) => forkWorkers(count, env),
});
