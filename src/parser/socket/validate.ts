/** Payload validation shared by the parsers: what each packet type may carry. */
import { PacketType, type PacketTypeValue, RESERVED_EVENTS } from "../../protocol/socket.js";

/** True for a plain object (`{...}`), not an array, null or class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** True when `id` may be an acknowledgement id. */
export function isAckId(id: unknown): id is number {
  return typeof id === "number" && Number.isSafeInteger(id) && id >= 0;
}

/** True when `name` is a valid namespace name. */
export function isNamespace(name: unknown): name is string {
  return typeof name === "string" && name.startsWith("/");
}

/**
 * Checks `data` against its packet type (PROTOCOL.md §3.2): CONNECT → object or absent,
 * DISCONNECT → absent, CONNECT_ERROR → string or object, EVENT → non-empty array starting with
 * a non-reserved string or a number, ACK → array.
 */
export function isPayloadValid(type: PacketTypeValue, data: unknown): boolean {
  switch (type) {
    case PacketType.CONNECT:
      return data === undefined || isPlainObject(data);
    case PacketType.DISCONNECT:
      return data === undefined;
    case PacketType.CONNECT_ERROR:
      return typeof data === "string" || isPlainObject(data);
    case PacketType.EVENT:
    case PacketType.BINARY_EVENT: {
      if (!Array.isArray(data) || data.length === 0) return false;
      const name: unknown = data[0];
      return typeof name === "number" || (typeof name === "string" && !RESERVED_EVENTS.has(name));
    }
    case PacketType.ACK:
    case PacketType.BINARY_ACK:
      return Array.isArray(data);
  }
}
