// A query command waiting on a collector that never answers must end on the first Ctrl-C or
// SIGTERM, not after its 60 s limit (and not only on a second signal). A real process against a
// real TCP server on loopback that accepts and stays silent.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = join(import.meta.dirname, '..', '..', '..', 'dist', 'cli', 'main.js');
let server: Server;
let url: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = createServer((s) => void sockets.push(s)); // reads nothing, answers nothing
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  sockets.forEach((s) => s.destroy());
  await new Promise((r) => server.close(r));
});

describe.skipIf(!existsSync(MAIN))('query commands and signals (needs `npm run build`)', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`one ${signal} ends a query the collector never answers: exit 1 at once, saying so`, async () => {
      const child = spawn(process.execPath, [MAIN, 'agents', '--collector', url, '--token', 'x'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      while (sockets.length === 0) await new Promise((r) => setTimeout(r, 20));
      const t = performance.now();
      child.kill(signal);
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      expect(performance.now() - t, 'ended by the signal, not by the 60 s limit').toBeLessThan(5_000);
      expect(code).toBe(1);
      expect(err).toContain(
        `GET /v1/agents: interrupted by ${signal} before the collector at ${url} answered [PD_INTERRUPTED]`,
      );
      sockets.splice(0).forEach((s) => s.destroy());
    });
  }
});
