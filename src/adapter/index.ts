/** Adapter interface and the built-in in-memory adapters. */
export { InMemoryAdapter } from "./in-memory.js";
export { SessionAwareAdapter, type SessionAwareAdapterOptions } from "./session-aware.js";
export type * from "./types.js";
