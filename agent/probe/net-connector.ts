// The portable connect primitive: one net.Socket per probe. Slower and heavier than
// raw-connector.ts, with the same contract; the engine uses it when node's tcp_wrap binding is
// not reachable. resetAndDestroy() after the handshake (no TIME_WAIT), destroy() on cancel
// (resetAndDestroy on a connecting socket waits for 'connect', leaking the fd: docs/design/probe-engine.md#closing).
import { Socket } from 'node:net';
import { statusOf } from './classify.js';
import { isSelfConnect, type ConnectDone, type Connector } from './connector.js';

interface SlotSocket extends Socket {
  pdSlot: number;
  pdPort: number;
  pdIp: string;
}

export function netConnectorFactory(slots: number, done: ConnectDone): Connector {
  const sockets: (SlotSocket | null)[] = new Array(slots).fill(null);

  function onConnect(this: SlotSocket): void {
    if (sockets[this.pdSlot] !== this) return;
    sockets[this.pdSlot] = null;
    const self = isSelfConnect(this.localAddress, this.localPort, this.pdIp, this.pdPort);
    this.resetAndDestroy();
    done(this.pdSlot, 0, self);
  }
  function onError(this: SlotSocket, err: NodeJS.ErrnoException): void {
    if (sockets[this.pdSlot] !== this) return;
    sockets[this.pdSlot] = null;
    this.destroy();
    done(this.pdSlot, statusOf(err.code), false);
  }

  return {
    kind: 'net',
    start(slot, ip, family, port) {
      const s = new Socket() as SlotSocket;
      s.pdSlot = slot;
      s.pdPort = port;
      s.pdIp = ip;
      s.once('connect', onConnect);
      s.on('error', onError);
      sockets[slot] = s;
      // An IP literal skips DNS; autoSelectFamily is off so one socket is one address.
      s.connect({ host: ip, port, family, autoSelectFamily: false });
      return 0;
    },
    cancel(slot) {
      const s = sockets[slot];
      sockets[slot] = null;
      s?.destroy();
    },
  };
}
