/**
 * Integration: the real `express-session` middleware shared with Socket.IO the way socket.io's
 * docs and tutorials do it (`io.use((socket, next) => sessionMiddleware(socket.request, {}, next))`),
 * with default server options: the session an HTTP login created is on `socket.request.session`
 * in later handlers, and changes saved there are seen by the next HTTP request.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import { afterEach, describe, it } from "node:test";
import express from "express";
import session from "express-session";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { Server } from "../../src/index.js";
import { closeServer, listen } from "../helpers/wait.js";
import { MODES, next, transportOptions } from "../interop/server-harness.js";

declare module "express-session" {
  interface SessionData {
    user?: string;
    messages?: number;
  }
}

type SessionRequest = IncomingMessage & { session: session.Session & Partial<session.SessionData> };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

for (const mode of MODES) {
  describe(`express-session shared with the Socket.IO server (${mode})`, () => {
    it("puts the logged-in session on socket.request.session and saves changes made in handlers", async () => {
      const sessionMiddleware = session({
        secret: "test",
        resave: false,
        saveUninitialized: false,
      });
      const app = express();
      app.use(sessionMiddleware);
      app.post("/login", (req, res) => {
        req.session.user = "alice";
        req.session.messages = 0;
        res.sendStatus(204);
      });
      app.get("/me", (req, res) => {
        res.json({ user: req.session.user, messages: req.session.messages });
      });
      const http = createServer(app);
      const io = new Server(http);
      io.use((socket, nextFn) =>
        sessionMiddleware(
          socket.request as express.Request,
          {} as express.Response,
          nextFn as express.NextFunction,
        ),
      );
      io.use((socket, nextFn) => {
        const req = socket.request as SessionRequest;
        nextFn(req.session.user ? undefined : new Error("unauthorized"));
      });
      io.on("connection", (socket) => {
        socket.on("message", (_text: string, ack: (reply: [string, number]) => void) => {
          const req = socket.request as SessionRequest;
          req.session.messages = (req.session.messages ?? 0) + 1;
          req.session.save(() => ack([req.session.user ?? "", req.session.messages ?? 0]));
        });
      });
      const port = await listen(http);
      cleanups.push(async () => {
        await io.close();
        await closeServer(http);
      });
      const base = `http://127.0.0.1:${port}`;

      const login = await fetch(`${base}/login`, { method: "POST" });
      assert.equal(login.status, 204);
      const cookie = login.headers.get("set-cookie")?.split(";")[0];
      assert.ok(cookie, "login sets the session cookie");

      const client: ClientSocket = ioc(base, {
        forceNew: true,
        reconnection: false,
        extraHeaders: { cookie },
        ...transportOptions(mode),
      });
      cleanups.push(() => {
        client.disconnect();
      });
      await next(client, "connect");
      for (let i = 1; i <= 2; i++) {
        const [who, n] = (await client.timeout(5000).emitWithAck("message", "hi")) as [
          string,
          number,
        ];
        assert.equal(who, "alice");
        assert.equal(n, i);
      }
      const me = (await (await fetch(`${base}/me`, { headers: { cookie } })).json()) as {
        user: string;
        messages: number;
      };
      assert.deepEqual(me, { user: "alice", messages: 2 });

      // Without the session cookie the middleware refuses the connection.
      const anonymous = ioc(base, {
        forceNew: true,
        reconnection: false,
        ...transportOptions(mode),
      });
      cleanups.push(() => {
        anonymous.disconnect();
      });
      const [err] = await next<[Error]>(anonymous, "connect_error");
      assert.equal(err.message, "unauthorized");
    });
  });
}
