/**
 * Session ids: 20 URL-safe base64 characters from 15 cryptographically random bytes
 * (the shape of upstream's base64id). Random bytes are drawn from a pooled buffer.
 */
import { randomFillSync } from "node:crypto";

const ID_BYTES = 15;
const POOL_SIZE = ID_BYTES * 256;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/** Returns a fresh 20-character id (`[A-Za-z0-9_-]`). */
export function generateSessionId(): string {
  if (offset + ID_BYTES > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString("base64url", offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}
