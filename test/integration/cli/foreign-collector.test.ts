// `--collector` pointing at something that answers JSON but is not a portdrift collector (a
// typo'd port, another service): every query command says so, exit 1, rather than printing the
// foreign body as if it were the answer or failing with an internal error.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './run.js';

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"foo": 1, "entries": 5}'),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

describe('a --collector that is not a portdrift collector', () => {
  for (const [command, path, key] of [
    ['agents', '/v1/agents', 'agents'],
    ['history', '/v1/history', 'entries'],
  ] as const) {
    for (const format of ['table', 'json']) {
      it(`${command} --format ${format}: PD_COLLECTOR_RESPONSE naming the route, exit 1`, async () => {
        const r = await run([command, '--collector', url, '--token', 'x', '--format', format], process.cwd());
        expect(r.code).toBe(1);
        expect(r.out).toBe('');
        expect(r.err).toBe(
          `portdrift: GET ${path}: the collector answered without an \`${key}\` ` +
            `list (is --collector a portdrift collector?) [PD_COLLECTOR_RESPONSE]\n`,
        );
      });
    }
  }
  it('drift says it is not a drift report', async () => {
    const r = await run(['drift', '--collector', url, '--token', 'x'], process.cwd());
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not a version 1 drift report \[PD_COLLECTOR_RESPONSE\]/);
  });
});
