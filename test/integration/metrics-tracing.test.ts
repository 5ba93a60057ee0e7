/**
 * Integration: OpenTelemetry traces of `traceServer` with the SDK's in-memory exporter, over real
 * sockets. The client sends its trace context in the CONNECT `auth` (`traceparent`) or in the
 * handshake headers; the connect span and every event span continue that trace.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, beforeEach, describe, type TestContext, test } from "node:test";
import * as otel from "@opentelemetry/api";
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { Server, type ServerOptions, type Socket } from "../../src/index.js";
import { traceServer } from "../../src/metrics/index.js";
import { closeServer, listen, onceEvent, waitFor } from "../helpers/wait.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN_ID = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE_ID}-${CLIENT_SPAN_ID}-01`;

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

async function start(
  t: TestContext,
  opts: ServerOptions = {},
  api?: typeof otel,
): Promise<{ io: Server; url: string; clients: ClientSocket[] }> {
  const http = createServer();
  const io = new Server(http, { serveClient: false, ...opts });
  // The module the application uses can be given; by default it is loaded from node_modules.
  const tracing = traceServer(io, api === undefined ? {} : { api });
  const port = await listen(http);
  const clients: ClientSocket[] = [];
  t.after(async () => {
    for (const c of clients) c.disconnect();
    tracing.close();
    await io.close();
    await closeServer(http);
  });
  return { io, url: `http://127.0.0.1:${port}`, clients };
}

function spansNamed(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.name === name);
}

function parentSpanId(span: ReadableSpan): string | undefined {
  // SDK 2.x: parentSpanContext; 1.x: parentSpanId.
  const s = span as ReadableSpan & {
    parentSpanContext?: { spanId: string };
    parentSpanId?: string;
  };
  return s.parentSpanContext?.spanId ?? s.parentSpanId;
}

describe("tether-io/metrics: OpenTelemetry traces", () => {
  before(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  });
  after(async () => {
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  test("the connect and event spans continue the trace the client sent in its CONNECT auth", async (t) => {
    const { io, url, clients } = await start(t);
    let middlewareSpan: string | undefined;
    io.use((_socket, next) => {
      // Middlewares run inside the connect span.
      middlewareSpan = trace.getActiveSpan()?.spanContext().spanId;
      next();
    });
    let handlerTrace: string | undefined;
    io.on("connection", (socket: Socket) => {
      socket.on("chat", (msg: string, ack: (reply: string) => void) => {
        handlerTrace = trace.getActiveSpan()?.spanContext().traceId;
        // An async handler: its span ends when it answers.
        setImmediate(() => ack(`got ${msg}`));
      });
      socket.on("note", () => {});
    });
    const c = ioc(url, {
      transports: ["websocket"],
      reconnection: false,
      auth: { traceparent: TRACEPARENT },
    });
    clients.push(c);
    await onceEvent(c, "connect");
    assert.equal(await c.emitWithAck("chat", "hi"), "got hi");
    c.emit("note");
    c.emit("nobody-listens");
    await waitFor(() => exporter.getFinishedSpans().length === 4, 5000, "four spans");

    const [connect] = spansNamed("socket.io connect /");
    assert.ok(connect, "connect span");
    assert.equal(connect.spanContext().traceId, TRACE_ID);
    assert.equal(parentSpanId(connect), CLIENT_SPAN_ID);
    assert.equal(connect.attributes["socket.io.namespace"], "/");
    assert.equal(connect.attributes["socket.io.transport"], "websocket");
    assert.equal(connect.attributes["socket.io.joined"], true);
    assert.equal(middlewareSpan, connect.spanContext().spanId);

    const [chat] = spansNamed("socket.io event chat");
    assert.ok(chat, "event span");
    assert.equal(chat.spanContext().traceId, TRACE_ID);
    assert.equal(parentSpanId(chat), CLIENT_SPAN_ID);
    assert.equal(handlerTrace, TRACE_ID);
    assert.equal(chat.attributes["socket.io.event"], "chat");
    assert.equal(chat.attributes["socket.io.ack"], true);
    assert.equal(chat.attributes["socket.io.ack_sent"], true);
    assert.equal(chat.attributes["socket.io.socket_id"], c.id);

    const [note] = spansNamed("socket.io event note");
    assert.equal(note?.attributes["socket.io.ack"], false);
    // A name nothing listens to stays out of the span name.
    const [unhandled] = spansNamed("socket.io event (unhandled)");
    assert.equal(unhandled?.attributes["socket.io.event"], "nobody-listens");
    assert.equal(unhandled?.spanContext().traceId, TRACE_ID);
  });

  test("without auth, the trace context comes from the handshake's traceparent header", async (t) => {
    const { io, url, clients } = await start(t);
    io.on("connection", (socket: Socket) => socket.on("ping", (ack: () => void) => ack()));
    const c = ioc(url, {
      transports: ["websocket"],
      reconnection: false,
      extraHeaders: { traceparent: TRACEPARENT },
    });
    clients.push(c);
    await onceEvent(c, "connect");
    await c.emitWithAck("ping");
    await waitFor(() => exporter.getFinishedSpans().length === 2, 5000, "two spans");
    for (const span of exporter.getFinishedSpans()) {
      assert.equal(span.spanContext().traceId, TRACE_ID, span.name);
      assert.equal(parentSpanId(span), CLIENT_SPAN_ID, span.name);
    }
  });

  test("a refused CONNECT ends its span with an error; an unanswered ack's span ends at disconnect", async (t) => {
    const { io, url, clients } = await start(t);
    io.of("/private").use((_s, next) => next(new Error("no")));
    let server: Socket | undefined;
    let neverHandled = false;
    io.on("connection", (socket: Socket) => {
      server = socket;
      socket.on("never", () => {
        neverHandled = true;
      });
    });
    const refused = ioc(`${url}/private`, { transports: ["websocket"], reconnection: false });
    clients.push(refused);
    await onceEvent(refused, "connect_error");
    const c = ioc(url, { transports: ["websocket"], reconnection: false, forceNew: true });
    clients.push(c);
    await onceEvent(c, "connect");
    c.emit("never", () => {});
    await waitFor(() => neverHandled, 5000, "event handled");
    await waitFor(() => spansNamed("socket.io connect /").length === 1, 5000, "connect span");
    assert.equal(spansNamed("socket.io event never").length, 0, "still waiting for its ack");
    const gone = onceEvent(server as Socket, "disconnect");
    c.disconnect();
    await gone;
    const [never] = spansNamed("socket.io event never");
    assert.equal(never?.attributes["socket.io.ack_sent"], false);
    const [priv] = spansNamed("socket.io connect /private");
    assert.equal(priv?.status.code, 2);
    assert.equal(priv?.attributes["socket.io.joined"], false);
    // No client context: each span starts its own trace.
    assert.notEqual(priv?.spanContext().traceId, TRACE_ID);
  });

  test("with no SDK registered, handlers run as without tracing and nothing is recorded", async (t) => {
    trace.disable();
    t.after(() => trace.setGlobalTracerProvider(provider));
    const { io, url, clients } = await start(t, {}, otel);
    io.on("connection", (socket: Socket) =>
      socket.on("echo", (v: number, ack: (v: number) => void) => ack(v)),
    );
    const c = ioc(url, {
      transports: ["websocket"],
      reconnection: false,
      auth: { traceparent: TRACEPARENT },
    });
    clients.push(c);
    await onceEvent(c, "connect");
    assert.equal(await c.emitWithAck("echo", 7), 7);
    assert.equal(exporter.getFinishedSpans().length, 0);
  });
});
