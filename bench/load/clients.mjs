// Raw wire-protocol clients for load generation (the official client is too heavy to generate
// load): Socket.IO over websocket, over polling, polling→websocket upgrade, and plain ws.
import http from "node:http";
import WebSocket from "ws";

const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
/** A connection attempt that takes longer than this fails (keeps every phase bounded). */
const CONNECT_TIMEOUT_MS = 15_000;
/**
 * A zero mask: `ws` then skips masking (a copy of every payload), so a 64 KB echo costs the
 * generator less and measures the server rather than the generator. Same for every server.
 */
const WS_OPTS = {
  perMessageDeflate: false,
  generateMask: (mask) => mask.fill(0),
  // Frames come from the server under test over loopback; the generator does not check UTF-8.
  skipUTF8Validation: true,
};

/** One HTTP request; `track(req)` gets the ClientRequest (so that a pending poll can be aborted). */
function request(method, url, body, track) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, agent, headers: body ? { "content-type": "text/plain" } : {} },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          data += c;
        });
        res.on("end", () =>
          res.statusCode === 200
            ? resolve(data)
            : reject(new Error(`HTTP ${res.statusCode}: ${data}`)),
        );
      },
    );
    req.on("error", reject);
    track?.(req);
    req.end(body);
  });
}

/**
 * One client connection. `onBroadcast()` is called per received broadcast event.
 * mode: "websocket" | "upgrade" | "polling" (Socket.IO) or "raw" (plain ws, the floor).
 */
export class LoadClient {
  constructor(port, mode, onBroadcast) {
    this.port = port;
    this.mode = mode;
    this.onBroadcast = onBroadcast;
    this.acks = new Map();
    this.nextId = 0;
    this.closed = false;
    this.pendingBinary = null;
  }

  base(transport) {
    const q = `EIO=4&transport=${transport}${this.sid ? `&sid=${this.sid}` : ""}`;
    return `127.0.0.1:${this.port}/socket.io/?${q}`;
  }

  /** Resolves when connected; rejects (and closes) after CONNECT_TIMEOUT_MS. */
  connect() {
    let timer;
    const deadline = new Promise((_, reject) => {
      timer = setTimeout(() => {
        this.close();
        reject(new Error("connect timed out"));
      }, CONNECT_TIMEOUT_MS);
    });
    return Promise.race([this.#connect(), deadline]).finally(() => clearTimeout(timer));
  }

  /** Resolves when the Socket.IO CONNECT reply (or the raw ws open) arrived. */
  async #connect() {
    if (this.mode === "raw") {
      this.ws = new WebSocket(`ws://127.0.0.1:${this.port}/`, WS_OPTS);
      this.ws.on("message", (d, isBinary) => this.onRaw(d, isBinary));
      await new Promise((res, rej) => {
        this.ws.once("open", res);
        this.ws.once("error", rej);
      });
      return;
    }
    this.connected = new Promise((res) => {
      this.resolveConnected = res;
    });
    if (this.mode === "websocket") {
      this.openWs();
      await this.connected;
      return;
    }
    const open = await request("GET", `http://${this.base("polling")}`);
    this.sid = JSON.parse(open.slice(1)).sid;
    await request("POST", `http://${this.base("polling")}`, "40");
    this.handlePayload(await request("GET", `http://${this.base("polling")}`));
    await this.connected;
    if (this.mode === "upgrade") {
      this.openWs();
      await new Promise((res, rej) => {
        this.ws.once("open", () => this.ws.send("2probe"));
        this.upgraded = res;
        this.ws.once("error", rej);
      });
    } else {
      this.pollLoop();
    }
  }

  openWs() {
    this.ws = new WebSocket(`ws://${this.base("websocket")}`, WS_OPTS);
    this.ws.on("message", (d, isBinary) => {
      if (isBinary) this.onBinary(d);
      // An event on the main namespace (`42[…]`: a broadcast) is counted without decoding it,
      // so that the generator's own CPU per delivery stays low (the same for every server).
      else if (d[0] === 0x34 && d[1] === 0x32) this.onBroadcast?.();
      else this.onPacket(d.toString());
    });
    this.ws.on("error", () => {});
  }

  async pollLoop() {
    while (!this.closed) {
      try {
        this.handlePayload(
          await request("GET", `http://${this.base("polling")}`, undefined, (req) => {
            this.pendingPoll = req;
          }),
        );
      } catch {
        return;
      }
    }
  }

  handlePayload(payload) {
    for (const p of payload.split("\x1e")) {
      if (p[0] === "b") this.onBinary(Buffer.from(p.slice(1), "base64"));
      else this.onPacket(p);
    }
  }

  send(text) {
    if (this.ws && this.ws.readyState === 1) this.ws.send(text);
    else request("POST", `http://${this.base("polling")}`, text).catch(() => {});
  }

  onPacket(p) {
    switch (p[0]) {
      case "0":
        // Open packet: on a websocket-only session, CONNECT to the main namespace right away.
        if (this.mode === "websocket") this.send("40");
        return;
      case "2":
        return this.send("3");
      case "3":
        if (p === "3probe") {
          this.ws.send("5");
          this.upgraded?.();
        }
        return;
      case "4":
        return this.onMessage(p.slice(1));
      default:
    }
  }

  onMessage(m) {
    const t = m[0];
    if (t === "0") return this.resolveConnected();
    if (t === "2") {
      // Broadcast event: 2["b",payload] (possibly with an offset argument when CSR is on).
      this.onBroadcast?.();
      return;
    }
    if (t === "3") {
      const bracket = m.indexOf("[");
      const id = Number(m.slice(1, bracket));
      this.settle(id);
      return;
    }
    if (t === "6") {
      // Binary ack header: 61-<id>[...]; the attachment follows.
      const dash = m.indexOf("-");
      const bracket = m.indexOf("[");
      this.pendingBinary = Number(m.slice(dash + 1, bracket));
    }
  }

  onBinary() {
    if (this.pendingBinary !== null) {
      const id = this.pendingBinary;
      this.pendingBinary = null;
      this.settle(id);
    }
  }

  onRaw(data, isBinary) {
    if (isBinary) return this.settle(this.rawQueue.shift());
    const s = data.toString();
    if (s.startsWith('["b"')) return this.onBroadcast?.();
    this.settle(JSON.parse(s)[1]);
  }

  settle(id) {
    const f = this.acks.get(id);
    if (f) {
      this.acks.delete(id);
      f();
    }
  }

  /** One acknowledged echo; resolves when the reply arrives. */
  echo(payload) {
    const id = this.nextId++;
    const done = new Promise((res) => this.acks.set(id, res));
    if (this.mode === "raw") {
      if (typeof payload === "string") this.ws.send(JSON.stringify(["echo", id, payload]));
      else {
        this.rawQueue ??= [];
        this.rawQueue.push(id);
        this.ws.send(payload);
      }
    } else if (typeof payload === "string") {
      this.send(`42${id}${JSON.stringify(["echo", payload])}`);
    } else {
      this.ws.send(`451-${id}["echo",{"_placeholder":true,"num":0}]`);
      this.ws.send(payload);
    }
    return done;
  }

  close() {
    this.closed = true;
    if (this.ws) this.ws.terminate();
    else if (this.pendingPoll) {
      // Aborting the pending GET closes the session at once ("poll connection closed
      // prematurely") without opening a connection per client for a `1` POST, which at 15k
      // clients would exhaust file descriptors.
      this.pendingPoll.destroy();
      this.pendingPoll = null;
    } else request("POST", `http://${this.base("polling")}`, "1").catch(() => {});
  }
}

export function closeAgent() {
  agent.destroy();
}
