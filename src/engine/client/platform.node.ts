/**
 * Node implementation of {@link Platform}: polling over `node:http`/`node:https` (so TLS options,
 * agents and `autoUnref` apply, which the global `fetch` cannot take) and WebSocket over `ws`;
 * keeps cookies for `withCredentials`. The browser bundle replaces this module with
 * `platform.ts`.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { WebSocket as NodeWebSocket } from "ws";
import { CookieJar } from "./cookie-jar.js";
import { buildHeaders, type ResolvedOptions } from "./options.js";
import type {
  BinaryType,
  CookieStore,
  HttpRequest,
  HttpResponse,
  MessageData,
  Platform,
  WebSocketLike,
} from "./platform.js";

/** See `platform.ts`: true here, false in the browser build. */
export const isNode = true;

/**
 * Node's `binaryType`: `arraybuffer` gives an ArrayBuffer (copied when the bytes are a view of
 * part of one, as pooled Buffers are); otherwise the Buffer as it came, as engine.io-client's.
 */
export function asBinaryType(d: Uint8Array, type: BinaryType): MessageData {
  if (type !== "arraybuffer") return d;
  const { buffer, byteOffset, byteLength } = d;
  return (
    byteLength === buffer.byteLength ? buffer : buffer.slice(byteOffset, byteOffset + byteLength)
  ) as ArrayBuffer;
}

function setCookiesOf(res: IncomingMessage): string[] {
  return res.headers["set-cookie"] ?? [];
}

/** `extraHeaders` (lower-cased) plus the jar's `Cookie`. */
function headersOf(
  extra: Record<string, string>,
  jar: CookieStore | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(extra)) out[k.toLowerCase()] = v;
  const cookie = jar?.header();
  if (cookie !== undefined) out.cookie = cookie;
  return out;
}

const TLS_KEYS = [
  "agent",
  "pfx",
  "key",
  "passphrase",
  "cert",
  "ca",
  "ciphers",
  "rejectUnauthorized",
  "perMessageDeflate",
] as const;

/** TLS / agent options (and `perMessageDeflate` for `ws`) given to the client. */
function nodeOptionsOf(opts: ResolvedOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of TLS_KEYS) if (opts[k] !== undefined) out[k] = opts[k];
  return out;
}

function nodeRequest(req: HttpRequest): Promise<HttpResponse> {
  const { method, url, body, signal, opts, jar } = req;
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const headers = headersOf(req.headers, jar);
    if (body !== undefined) {
      headers["content-type"] = "text/plain;charset=UTF-8";
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    const r = send(target, { ...nodeOptionsOf(opts), method, headers, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        jar?.parse(setCookiesOf(res));
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
      });
    });
    r.on("error", reject);
    if (opts.autoUnref) r.on("socket", (s) => s.unref());
    r.end(body);
  });
}

function nodeWebSocket(
  url: string,
  opts: ResolvedOptions,
  jar: CookieStore | undefined,
): WebSocketLike {
  const protocols = opts.protocols === undefined ? [] : opts.protocols;
  const ws = new NodeWebSocket(url, protocols, {
    ...nodeOptionsOf(opts),
    headers: headersOf(buildHeaders(opts, "websocket"), jar),
  });
  ws.binaryType = "nodebuffer";
  ws.on("upgrade", (res) => {
    jar?.parse(setCookiesOf(res));
    if (opts.autoUnref) res.socket.unref();
  });
  return ws as unknown as WebSocketLike;
}

/** Node platform. */
export const platform: Platform = {
  request: nodeRequest,
  createWebSocket: nodeWebSocket,
  createCookieJar: () => new CookieJar(),
};
