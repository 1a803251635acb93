// A block of consecutive loopback ports that this test owns: every port of the block is bound
// first (so no other program listens on any of them, not even on 0.0.0.0), then the ones the
// scenario wants closed are released. The address is a random 127.x.y.z, so parallel tests of
// other engineers on 127.0.0.1 never share the block.
import { type Server, createServer } from 'node:net';

export interface Block {
  host: string;
  base: number;
  /** Stop every listener still open. */
  close(): Promise<void>;
  /** Stop the listener on base + offset (that port then answers closed). */
  release(offset: number): Promise<void>;
}

function listen(host: string, port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    // The prober closes with a reset; that is not an error of the test's server.
    const s = createServer((c) => c.on('error', () => undefined).destroy());
    s.once('error', () => resolve(null));
    s.listen({ host, port, exclusive: true }, () => resolve(s));
  });
}

const closeServer = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()));

export async function reserveBlock(size: number, attempts = 20): Promise<Block> {
  for (let a = 0; a < attempts; a++) {
    const host =
      `127.${77 + Math.floor(Math.random() * 100)}.` +
      `${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
    // Below the ephemeral range (32768+), away from the usual service ports.
    const base = 20000 + Math.floor(Math.random() * 12000);
    const servers: Server[] = [];
    let ok = true;
    for (let i = 0; i < size && ok; i++) {
      const s = await listen(host, base + i);
      if (s) servers.push(s);
      else ok = false;
    }
    if (!ok) {
      await Promise.all(servers.map(closeServer));
      continue;
    }
    const open = new Map(servers.map((s, i) => [i, s]));
    return {
      host,
      base,
      async release(offset) {
        const s = open.get(offset);
        if (s) {
          open.delete(offset);
          await closeServer(s);
        }
      },
      async close() {
        await Promise.all([...open.values()].map(closeServer));
        open.clear();
      },
    };
  }
  throw new Error(`no free block of ${size} loopback ports found in ${attempts} attempts`);
}
