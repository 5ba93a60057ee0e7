import assert from "node:assert/strict";
import { createServer } from "node:http";
import { describe, it } from "node:test";
import { Socket as ClientSocket } from "engine.io-client";
import express from "express";
import { EngineServer } from "../../src/engine/index.js";
import { closeServer, listen, onceEvent } from "../helpers/wait.js";

describe("engine attached next to an Express app", () => {
  it("serves Express routes and engine sessions on one HTTP server", async (t) => {
    const app = express();
    app.get("/health", (_req, res) => {
      res.json({ ok: true });
    });
    const http = createServer(app);
    const engine = new EngineServer();
    const seenByMiddleware: string[] = [];
    engine.use((req, _res, next) => {
      seenByMiddleware.push(req.method ?? "");
      next();
    });
    engine.attach(http);
    engine.on("connection", (s) => s.on("message", (m) => s.send(m)));
    const port = await listen(http);
    const client = new ClientSocket(`http://127.0.0.1:${port}`);
    const opened = onceEvent(client, "open");
    t.after(async () => {
      client.close();
      engine.close();
      await closeServer(http);
    });

    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.deepEqual(await health.json(), { ok: true });
    await opened;
    client.send("echo me");
    const [echo] = await onceEvent<[string]>(client, "message");
    assert.equal(echo, "echo me");
    assert.ok(seenByMiddleware.includes("GET"));
    const missing = await fetch(`http://127.0.0.1:${port}/nope`);
    assert.equal(missing.status, 404);
  });
});
