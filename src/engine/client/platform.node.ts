/**
 * Node implementation of {@link Platform}: polling over `node:http`/`node:https` (so TLS options,
 * agents and `autoUnref` apply, which the global `fetch` cannot take) and WebSocket over `ws`.
 * The browser bundle replaces this module with `platform.ts`.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { WebSocket as NodeWebSocket } from "ws";
import { CookieJar } from "./cookie-jar.js";
import type {
  HttpRequest,
  HttpResponse,
  Platform,
  WebSocketInit,
  WebSocketLike,
} from "./platform.js";

function toHeaders(map: ReadonlyMap<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of map) out[k] = v;
  return out;
}

function setCookiesOf(res: IncomingMessage): string[] {
  const v = res.headers["set-cookie"];
  return v === undefined ? [] : v;
}

function nodeRequest(req: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(req.url);
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const headers = toHeaders(req.headers);
    if (req.body !== undefined) {
      headers["content-type"] = "text/plain;charset=UTF-8";
      headers["content-length"] = String(Buffer.byteLength(req.body));
    }
    const r = send(
      url,
      { ...req.nodeOptions, method: req.method, headers, signal: req.signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            setCookies: setCookiesOf(res),
          }),
        );
      },
    );
    r.on("error", reject);
    if (req.unref) r.on("socket", (s) => s.unref());
    r.end(req.body);
  });
}

function nodeWebSocket(init: WebSocketInit): WebSocketLike {
  const protocols = init.protocols === undefined ? [] : init.protocols;
  const ws = new NodeWebSocket(init.url, protocols as string[], {
    ...init.nodeOptions,
    headers: toHeaders(init.headers),
  });
  ws.on("upgrade", (res) => {
    init.onSetCookies?.(setCookiesOf(res));
    if (init.unref) res.socket.unref();
  });
  return ws as unknown as WebSocketLike;
}

/** Node platform. */
export const platform: Platform = {
  isNode: true,
  request: nodeRequest,
  createWebSocket: nodeWebSocket,
  unref(timer) {
    (timer as { unref?: () => void }).unref?.();
  },
  createCookieJar: () => new CookieJar(),
};
