/**
 * Entry of `socket.io.esm.min.js`: every value `tether-io/client` exports except `Presence`,
 * which pages load from `presence.esm.min.js`, so the client bundle does not grow with it.
 * test/unit/client-bundle-size.test.ts checks the two lists stay in step.
 */
export {
  connect,
  io as default,
  io,
  lookup,
  Manager,
  managerDefaults,
  protocol,
  Socket,
} from "./index.js";
