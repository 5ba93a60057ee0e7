/**
 * Raw TCP requests for the advisory tests: hand-written HTTP requests (upgrades included) whose
 * connection can be ended, destroyed or reset (RST) at a chosen moment.
 */
import { randomBytes } from "node:crypto";
import type { Server as HttpServer } from "node:http";
import { connect } from "node:net";
import { waitFor } from "../helpers/wait.js";

export interface RawExchange {
  /** First line of the server's answer ("" if it closed without answering). */
  statusLine: string;
  /** Everything the server sent (latin1). */
  text: string;
}

/** A WebSocket upgrade request for `path`, with extra header lines. */
export function upgradeRequest(path: string, extra: string[] = []): string {
  return [
    `GET ${path} HTTP/1.1`,
    "Host: 127.0.0.1",
    "Connection: Upgrade",
    "Upgrade: websocket",
    "Sec-WebSocket-Version: 13",
    `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
    ...extra,
    "",
    "",
  ].join("\r\n");
}

/**
 * Writes `request` on a fresh connection. `ending` decides what happens next: `answer` waits for
 * the response head (or the close) and then ends politely; `reset` sends a TCP RST right after the
 * request is written (before any answer); `reset-after-answer` resets once the head arrived; a
 * promise resets when it resolves.
 */
export function rawExchange(
  port: number,
  request: string | Buffer,
  ending: "answer" | "reset" | "reset-after-answer" | Promise<void> = "answer",
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      resolve({ statusLine: text.split("\r\n")[0] ?? "", text });
    };
    socket.on("error", () => {});
    socket.on("close", done);
    socket.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      if (!text.includes("\r\n\r\n")) return;
      if (ending === "reset-after-answer") socket.resetAndDestroy();
      else socket.end();
    });
    socket.once("connect", () => {
      socket.write(request, () => {
        if (ending === "reset") socket.resetAndDestroy();
        else if (typeof ending === "object") void ending.then(() => socket.resetAndDestroy());
      });
    });
  });
}

/** Waits until the HTTP server holds no open connection (every reset was processed). */
export function waitForNoConnections(http: HttpServer, except = 0): Promise<void> {
  let count = Number.POSITIVE_INFINITY;
  const probe = (): void => {
    http.getConnections((err, n) => {
      if (!err) count = n;
    });
  };
  probe();
  return waitFor(
    () => {
      probe();
      return count <= except;
    },
    10_000,
    "the server to drop the attacking connections",
  );
}

/** Records exceptions that reach the event loop while a test runs (without swallowing them). */
export function watchUncaught(): { errors: Error[]; stop(): void } {
  const errors: Error[] = [];
  const onError = (err: Error): void => {
    errors.push(err);
  };
  process.on("uncaughtExceptionMonitor", onError);
  return { errors, stop: () => process.off("uncaughtExceptionMonitor", onError) };
}
