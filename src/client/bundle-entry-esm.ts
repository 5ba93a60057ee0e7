/**
 * Entry of `socket.io.esm.min.js`: every value `tether-io/client` exports except `Presence`,
 * which pages load from `presence.esm.min.js`, so the client bundle does not grow with it.
 * test/unit/client-bundle-size.test.ts checks the two lists stay in step.
 */
export {
  connect,
  defineContract,
  io as default,
  io,
  isRefusal,
  lookup,
  Manager,
  managerDefaults,
  protocol,
  REFUSAL_EVENT,
  RefusalCodes,
  Socket,
} from "./index.js";
