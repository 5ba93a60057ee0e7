/**
 * socket.io's own PostgreSQL adapter (`@socket.io/postgres-adapter`) running unchanged inside
 * Tether nodes, on a private PostgreSQL cluster (LISTEN/NOTIFY, binary payloads through the
 * attachments table): the shared adapter suite.
 */
import { adapterSuite } from "./adapter-suite.js";
import { socketIoPostgresBackend } from "./socketio-backends.js";

adapterSuite(socketIoPostgresBackend());
