/** Disposal of the Socket.IO clients a test opened. */
import type { Socket } from "../../src/client/index.js";
import { waitFor } from "./wait.js";

/**
 * Takes every client out of `clients` and disconnects it with reconnection off; resolves when
 * each one's engine has closed. Use as `afterEach(() => closeClients(clients))`.
 */
export async function closeClients(clients: Socket[]): Promise<void> {
  const closing = clients.splice(0);
  for (const c of closing) {
    c.io.reconnection(false);
    c.disconnect();
  }
  await waitFor(() => closing.every((c) => c.io.engine?.readyState === "closed"));
}
