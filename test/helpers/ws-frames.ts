/**
 * Reads the WebSocket frames a client sends off the server's TCP stream, to check what the
 * WebSocket API does not show (per-message compression).
 */
import type { Server as HttpServer } from "node:http";
import type { Socket as NetSocket } from "node:net";

/** RSV1 (per-message compressed) of each text frame the client sends, read off the TCP stream. */
export function sniffClientFrames(http: HttpServer): boolean[] {
  const compressed: boolean[] = [];
  http.on("upgrade", (_req, socket: NetSocket) => {
    let buf = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (buf.length < 2) return;
        const b0 = buf[0] as number;
        const b1 = buf[1] as number;
        let len = b1 & 0x7f;
        let at = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          at = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          at = 10;
        }
        if (b1 & 0x80) at += 4;
        if (buf.length < at + len) return;
        if ((b0 & 0x0f) === 1) compressed.push((b0 & 0x40) !== 0);
        buf = buf.subarray(at + len);
      }
    });
  });
  return compressed;
}
