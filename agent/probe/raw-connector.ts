// The fast path: node's own tcp_wrap handles, without net.Socket. A net.Socket is a full
// duplex stream (event emitter, stream state, buffers, timers) — about 6–7 KiB and a dozen
// allocations per probe (docs/design/probe-engine.md#raw-handles) — of which a connect probe needs nothing: one
// handle, one connect request, one completion callback. Semantics are net.Socket's own: the
// same binding calls net.js makes, `reset()` being what socket.resetAndDestroy() calls
// (SO_LINGER 0 + close: an RST, no TIME_WAIT) and `close()` being destroy(). No localAddress
// is ever bound (docs/design/probe-engine.md#no-local-address). When the binding is missing (a future node without
// process.binding), rawConnectorFactory() returns null and the engine uses net-connector.ts.
import { isSelfConnect, type ConnectDone, type Connector, type ConnectorFactory } from './connector.js';

interface TcpHandle {
  connect(req: ConnectReq, ip: string, port: number): number;
  connect6(req: ConnectReq, ip: string, port: number): number;
  getsockname(out: { address?: string; port?: number }): number;
  reset(cb?: () => void): number;
  close(cb?: () => void): void;
}
interface ConnectReq {
  oncomplete: (status: number, handle: TcpHandle, req: ConnectReq) => void;
}
interface TcpBinding {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => ConnectReq;
  constants: { SOCKET: number };
}

function loadBinding(): TcpBinding | null {
  try {
    const b = (process as unknown as { binding(name: string): TcpBinding }).binding('tcp_wrap');
    if (
      typeof b?.TCP !== 'function' ||
      typeof b.TCPConnectWrap !== 'function' ||
      typeof b.TCP.prototype.reset !== 'function'
    )
      return null;
    return b;
  } catch {
    return null;
  }
}

const isLoopback = (ip: string) => ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.');

export function rawConnectorFactory(): ConnectorFactory | null {
  const binding = loadBinding();
  if (!binding) return null;
  const { TCP, TCPConnectWrap } = binding;
  const SOCKET = binding.constants.SOCKET;
  return (slots: number, done: ConnectDone): Connector => {
    const handles: (TcpHandle | null)[] = new Array(slots).fill(null);
    const reqs: (ConnectReq | null)[] = new Array(slots).fill(null);
    const ips: string[] = new Array<string>(slots).fill('');
    const ports = new Int32Array(slots);
    const name: { address?: string; port?: number } = {};

    // The request carries its slot as a class field and finds `oncomplete` on its prototype:
    // no property is added to a binding object per probe (each addition allocates), and no
    // probe allocates a closure. The binding looks `oncomplete` up like any property.
    class SlotReq extends TCPConnectWrap {
      slot: number;
      constructor(slot: number) {
        super();
        this.slot = slot;
      }
    }
    Object.defineProperty(SlotReq.prototype, 'oncomplete', { value: complete, writable: true });

    function complete(status: number, handle: TcpHandle, req: ConnectReq): void {
      const slot = (req as SlotReq).slot;
      // A cancelled connect may still complete (ECANCELED) after its slot was reused.
      if (reqs[slot] !== req) return;
      reqs[slot] = null;
      handles[slot] = null;
      let self = false;
      if (status === 0) {
        const ip = ips[slot]!;
        if (isLoopback(ip) && handle.getsockname(name) === 0)
          self = isSelfConnect(name.address, name.port, ip, ports[slot]!);
        if (handle.reset() !== 0) handle.close();
      } else {
        handle.close();
      }
      done(slot, status, self);
    }

    return {
      kind: 'raw',
      start(slot, ip, family, port) {
        const handle = new TCP(SOCKET);
        const req = new SlotReq(slot);
        const err = family === 6 ? handle.connect6(req, ip, port) : handle.connect(req, ip, port);
        if (err !== 0) {
          handle.close();
          return err;
        }
        handles[slot] = handle;
        reqs[slot] = req;
        ips[slot] = ip;
        ports[slot] = port;
        return 0;
      },
      cancel(slot) {
        const handle = handles[slot];
        handles[slot] = null;
        reqs[slot] = null;
        handle?.close();
      },
    };
  };
}
