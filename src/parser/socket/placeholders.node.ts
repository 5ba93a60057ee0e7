/**
 * The default encoder's JSON with binary placeholders, on Node (server and Node client): one
 * walk that copies only the path to each binary value ({@link replaceBinary}), then a plain
 * `JSON.stringify` (V8's fast path). Browser bundles swap this module for `./placeholders.ts`,
 * which writes the same text through a `JSON.stringify` replacer in fewer bytes
 * (docs/adr/0003-one-codec-per-wire-format.md has the figures).
 */
import { type Attachment, replaceBinary } from "./binary.js";

/**
 * The JSON text of `data` (undefined for `undefined`), each binary value replaced by a
 * placeholder and appended to `attachments` in placeholder order.
 */
export function stringifyWithPlaceholders(
  data: unknown,
  attachments: Attachment[],
): string | undefined {
  return JSON.stringify(replaceBinary(data, attachments));
}
