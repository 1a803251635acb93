// The connect primitive the engine drives: start a TCP handshake for a slot, hear how it ended,
// abandon it. Two implementations with the same contract: raw-connector.ts (node's tcp_wrap
// handles directly, the fast path) and net-connector.ts (net.Socket, the portable fallback).

/**
 * Called once per started connect that was not cancelled. `status` is 0 for a completed
 * handshake, else a negative libuv errno. `selfConnect` is true when the socket connected to
 * itself (loopback, source port = target port): not an open port (docs/design/probe-engine.md#self-connects).
 */
export type ConnectDone = (slot: number, status: number, selfConnect: boolean) => void;

export interface Connector {
  /** Which implementation, for logs and benchmarks. */
  readonly kind: 'raw' | 'net';
  /**
   * Start connecting `slot` to ip:port. Returns 0 when started (the outcome arrives through
   * ConnectDone), or a negative errno when it failed synchronously (EMFILE, EADDRNOTAVAIL…):
   * then ConnectDone is not called.
   * A completed handshake is closed with an RST (no TIME_WAIT: docs/design/probe-engine.md#closing).
   */
  start(slot: number, ip: string, family: 4 | 6, port: number): number;
  /** Abandon the connect in `slot` (timeout, abort): a plain close, no RST (docs/design/probe-engine.md#closing). */
  cancel(slot: number): void;
}

export type ConnectorFactory = (slots: number, done: ConnectDone) => Connector;

/**
 * A loopback connect to a port in the ephemeral range can get that very port as its source:
 * TCP simultaneous open connects the socket to itself (docs/design/probe-engine.md#self-connects). Not an open port.
 */
export function isSelfConnect(
  localAddress: string | undefined,
  localPort: number | undefined,
  ip: string,
  port: number,
): boolean {
  return localPort === port && localAddress === ip;
}
