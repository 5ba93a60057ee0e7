/**
 * The part of the official Socket.IO v2 client (`socket.io-client@2`, installed under the alias
 * `socket.io-client-v2`, which ships no types) that the interop tests use.
 */
declare module "socket.io-client-v2" {
  type Listener = (...args: never[]) => void;

  interface V2Emitter {
    on(event: string, fn: Listener): this;
    once(event: string, fn: Listener): this;
    off(event: string, fn?: Listener): this;
  }

  interface V2Engine extends V2Emitter {
    readonly id: string;
    readonly transport: { readonly name: string };
    close(): void;
  }

  interface V2Socket extends V2Emitter {
    readonly id: string;
    readonly connected: boolean;
    readonly io: { readonly engine: V2Engine };
    query: Record<string, string> | string;
    emit(event: string, ...args: unknown[]): this;
    close(): this;
  }

  interface V2Options {
    forceNew?: boolean;
    multiplex?: boolean;
    reconnection?: boolean;
    transports?: string[];
    upgrade?: boolean;
    forceBase64?: boolean;
    query?: Record<string, string>;
    path?: string;
  }

  const io: ((uri: string, opts?: V2Options) => V2Socket) & {
    connect(uri: string, opts?: V2Options): V2Socket;
  };
  export type { V2Options, V2Socket };
  export default io;
}
