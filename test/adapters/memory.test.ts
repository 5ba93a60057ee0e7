/** The shared adapter suite on the in-memory adapter: one node (cross-node cases skipped by design). */
import { adapterSuite } from "./adapter-suite.js";
import { forkNodes } from "./harness.js";

adapterSuite({
  name: "in-memory",
  crossNode: false,
  recoveryAcrossNodes: false,
  start: (count, env = {}) => forkNodes("memory", count, env),
});
