// A small TCP load balancer on loopback for the failover tests: round-robin per connection over
// the collector replicas, a backend that refuses the connection skipped (as a load balancer's
// health check would), and a way to break the next batch in flight: the proxy reads each HTTP
// request head passing through, and the next `POST /v1/observations` can be cut after half its
// body ('half': the replica never gets the whole batch) or forwarded whole with the answer held
// back ('hold': the replica may commit it, the agent never hears so). `onBroken` then names the
// replica and the batch's Idempotency-Key, and the replica is taken out of the rotation.
import { createServer, connect, type Server, type Socket } from 'node:net';

export type Break = 'half' | 'hold';

export interface Broken {
  how: Break;
  backend: number;
  key: string;
}

export interface Lb {
  url: string;
  /** Break the next batch this way. */
  breakNext(how: Break): void;
  onBroken: ((b: Broken) => void) | null;
  /** Backends no new connection goes to. */
  readonly out: Set<number>;
  /** Connections made to each backend. */
  readonly connections: number[];
  close(): Promise<void>;
}

export async function startLb(backends: Array<{ host: string; port: number }>): Promise<Lb> {
  let next = 0;
  const plans: Break[] = [];
  const sockets = new Set<Socket>();
  const lb: Lb = {
    url: '',
    breakNext: (how) => void plans.push(how),
    onBroken: null,
    out: new Set(),
    connections: backends.map(() => 0),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };

  /** Connects to the next backend in rotation that accepts, or calls back with null. */
  const pick = (tried: number, done: (up: Socket | null, index: number) => void): void => {
    if (tried >= backends.length) return done(null, -1);
    const i = next++ % backends.length;
    if (lb.out.has(i)) return pick(tried + 1, done);
    const up = connect(backends[i]!.port, backends[i]!.host);
    up.once('connect', () => {
      lb.connections[i]!++;
      done(up, i);
    });
    up.once('error', () => pick(tried + 1, done));
  };

  const server: Server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => {});
    client.pause();
    pick(0, (up, index) => {
      if (!up) return void client.destroy();
      sockets.add(up);
      up.removeAllListeners('error');
      up.on('error', () => {});
      let holding = false;
      up.on('data', (d: Buffer) => {
        if (!holding) client.write(d);
      });
      // The replica gone (killed): the agent's connection ends without an answer.
      up.once('close', () => {
        sockets.delete(up);
        client.destroy();
      });
      client.once('close', () => up.destroy());
      let head = Buffer.alloc(0);
      /** Body bytes of the current request still to pass through; -1 while reading a head. */
      let body = -1;
      let cut = false;
      client.on('data', (d: Buffer) => {
        if (cut) return;
        let chunk = d;
        while (chunk.length > 0) {
          if (body > 0) {
            const n = Math.min(body, chunk.length);
            up.write(chunk.subarray(0, n));
            body -= n;
            chunk = chunk.subarray(n);
            if (body === 0) body = -1;
            continue;
          }
          head = Buffer.concat([head, chunk]);
          chunk = Buffer.alloc(0);
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) return;
          const text = head.subarray(0, end).toString('latin1');
          const rest = head.subarray(end + 4);
          head = Buffer.alloc(0);
          const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1] ?? 0);
          const key = /\r\nidempotency-key:\s*(\S+)/i.exec(text)?.[1] ?? '';
          const how = text.startsWith('POST /v1/observations ') && key ? plans.shift() : undefined;
          up.write(`${text}\r\n\r\n`, 'latin1');
          if (how === 'half') {
            // Half the body, then nothing more from this agent's connection.
            const half = Math.floor(length / 2);
            up.write(rest.subarray(0, Math.min(half, rest.length)));
            cut = true;
          } else {
            if (how === 'hold') holding = true;
            body = length;
            chunk = rest;
          }
          if (how) {
            lb.out.add(index);
            lb.onBroken?.({ how, backend: index, key });
          }
          if (body === 0) body = -1;
          if (cut) return;
        }
      });
      client.resume();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  lb.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return lb;
}
