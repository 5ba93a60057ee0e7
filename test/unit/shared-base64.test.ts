import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  decodeBase64,
  decodeBase64Portable,
  encodeBase64,
  isBase64,
} from "../../src/shared/base64.js";

// Characters of both base64 alphabets, padding, and a few strays.
const CHARS = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ !*\n"];

describe("base64", () => {
  it("the Node (Buffer) decoder and the browser (atob) decoder give the same verdicts and bytes on any input", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...CHARS), maxLength: 24 }), (s) => {
        const browser = decodeBase64Portable(s);
        const node = decodeBase64(s);
        assert.equal(browser !== undefined, isBase64(s), JSON.stringify(s));
        assert.deepEqual(browser && Buffer.from(browser), node && Buffer.from(node));
      }),
      { numRuns: 20_000 },
    );
  });

  it("round-trips any bytes, padded or not", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const s = encodeBase64(b);
        for (const decode of [decodeBase64, decodeBase64Portable]) {
          assert.deepEqual(Buffer.from(decode(s) ?? []), Buffer.from(b));
          assert.deepEqual(Buffer.from(decode(s.replace(/=+$/, "")) ?? []), Buffer.from(b));
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it("refuses the URL-safe alphabet, stray characters and bad padding", () => {
    for (const s of ["AQI-", "AQI_", "AQ=D", "A", "AQIDB===", "AQID BA=", "AQIDBA=x", "!!!!"]) {
      assert.equal(decodeBase64(s), undefined, s);
      assert.equal(decodeBase64Portable(s), undefined, s);
    }
  });
});
