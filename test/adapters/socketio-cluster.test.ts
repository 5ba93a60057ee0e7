/**
 * socket.io's own node:cluster adapter (`@socket.io/cluster-adapter`) running unchanged inside
 * Tether workers, its `setupPrimary()` in the test process: the shared adapter suite.
 */
import { adapterSuite } from "./adapter-suite.js";
import { socketIoClusterBackend } from "./socketio-backends.js";

adapterSuite(socketIoClusterBackend());
