/**
 * The one error base class of the project. Every error carries a stable `code`
 * (`EIO_ERR_*`, `SIO_ERR_*`, …) listed once in a catalog; tests assert on it.
 */
export class TetherError extends Error {
  /** Stable, documented code; never reused for another meaning. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TetherError";
    this.code = code;
  }
}

/** Result of a decoder: decoders never throw on untrusted input. */
export type Result<T, E = TetherError> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function fail<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}
