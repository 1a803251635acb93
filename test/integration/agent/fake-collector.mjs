// A compromised collector, for the scope test: serves the plan in PLAN_FILE (any targets at all,
// including addresses outside the agent's scope) to whoever asks, and takes observation batches,
// printing each on stdout as one JSON line { batchId, body }. Prints "listening on URL" on
// stderr once bound. Exits on SIGTERM (the test kills it by PID). With FAKE_HANG_BATCHES=1 it
// reads each batch and never answers (a collector wedged behind a load balancer).
// Usage (inside a lab namespace): node fake-collector.mjs HOST PLAN_FILE
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [host, planFile] = process.argv.slice(2);
const plan = readFileSync(planFile, 'utf8');
const etag = `"${JSON.parse(plan).revision}"`;

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/v1/plan') {
      process.stderr.write(`${JSON.stringify({ msg: 'plan request', scope: url.searchParams.getAll('scope') })}\n`);
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag });
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'application/json', etag });
      return res.end(plan);
    }
    if (req.method === 'POST' && url.pathname === '/v1/observations') {
      const batchId = String(req.headers['idempotency-key'] ?? '');
      if (process.env.FAKE_HANG_BATCHES === '1') {
        process.stderr.write(`${JSON.stringify({ msg: 'batch held', batchId })}\n`);
        return;
      }
      process.stdout.write(`${JSON.stringify({ batchId, body: Buffer.concat(chunks).toString('utf8') })}\n`);
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ batchId }));
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'PD_NOT_FOUND', message: 'no such route' } }));
  });
});

function quit() {
  server.close();
  process.exit(0);
}
process.on('SIGTERM', quit);

server.listen({ host, port: 0 }, () => {
  const a = server.address();
  process.stderr.write(`listening on http://${a.address}:${a.port}\n`);
});
