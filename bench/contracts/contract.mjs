// The contract and limits of the contracts benchmark: one acknowledged event with a typical
// chat-sized payload; limits high enough never to refuse (their cost, not their refusals).
import { defineContract } from "tether-io";
import { z } from "zod";

export const benchContract = defineContract({
  clientToServer: {
    say: {
      args: z.tuple([
        z.object({
          room: z.string().regex(/^[a-z0-9-]{1,32}$/),
          text: z.string().min(1).max(2000),
          id: z.string().max(64),
        }),
      ]),
      ack: z.object({ ok: z.boolean() }),
    },
  },
});

export const benchLimits = {
  socket: { perSecond: 1e6, burst: 1e6 },
  events: { say: { perSecond: 1e6, burst: 1e6 } },
  key: { of: (socket) => socket.handshake.address, perSecond: 1e9, burst: 1e9 },
};

export const payload = { room: "general", text: "hello world, how are you today?", id: "m-123456" };
