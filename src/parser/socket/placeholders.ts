/**
 * The default encoder's JSON with binary placeholders, in browser bundles: the same text and
 * attachments as `./placeholders.node.ts` (a property test holds them together), written by a
 * `JSON.stringify` replacer — smaller than the copying walk, slower on large data, which a
 * browser client (one connection, small emits) does not feel.
 */
import { toRawData } from "../engine/index.js";
import { type Attachment, isBinary } from "./binary.js";

/**
 * The JSON text of `data` (undefined for `undefined`), each binary value replaced by a
 * placeholder and appended to `attachments` in placeholder order.
 */
export function stringifyWithPlaceholders(
  data: unknown,
  attachments: Attachment[],
): string | undefined {
  return JSON.stringify(data, function (this: Record<string, unknown>, key, value: unknown) {
    // `this[key]` is the value before `toJSON()`: a Buffer must not become {type, data}; a
    // binary value that `toJSON()` returned is an attachment too.
    let raw = this[key];
    if (!isBinary(raw)) raw = value;
    if (!isBinary(raw)) return value;
    const bytes = raw instanceof Blob ? raw : toRawData(raw);
    return { _placeholder: true, num: attachments.push(bytes as Attachment) - 1 };
  });
}
