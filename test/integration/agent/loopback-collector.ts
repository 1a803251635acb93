// A "collector" for loopback tests of the real agent: an HTTP server on 127.0.0.1 that answers
// as the test says (a hostile collector, or a plain one) and records every request.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface Received {
  method: string;
  path: string;
  at: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An HTTP "collector" on 127.0.0.1 answering with `handler`; every request is recorded. */
export class HostileCollector {
  readonly received: Received[] = [];
  private server: Server;
  url = '';

  constructor(private handler: (req: Received, res: ServerResponse, raw: IncomingMessage) => void) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        const body = Buffer.concat(chunks).toString('utf8');
        const r = { method: req.method ?? '', path, at: Date.now(), headers: req.headers, body };
        this.received.push(r);
        this.handler(r, res, req);
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  batches(): Received[] {
    return this.received.filter((r) => r.method === 'POST' && r.path === '/v1/observations');
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

/** A collector serving `plan` (any JSON) and accepting every batch. */
export function servingPlan(plan: unknown): HostileCollector {
  const body = JSON.stringify(plan);
  return new HostileCollector((req, res) => {
    const json = { 'content-type': 'application/json' };
    if (req.method === 'GET' && req.path === '/v1/plan') return void res.writeHead(200, json).end(body);
    if (req.method === 'POST' && req.path === '/v1/observations') return void res.writeHead(200, json).end('{}');
    res.writeHead(404).end();
  });
}
