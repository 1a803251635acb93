// `--state` from remote sources, as real child processes of dist/cli/main.js: `s3://` (and an S3
// glob, and `--state-from-backend`) against the AWS wire-protocol server of test/aws/server.ts
// (AWS_ENDPOINT_URL, path-style), Terraform's HTTP backend and the HCP Terraform API against
// loopback servers written here, and local globs. The child's environment is built from scratch
// (HOME an empty temp dir, no instance metadata) so nothing reaches beyond loopback.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsServer, type AwsWorld, startAwsServer } from '../../aws/server.js';
import { KEYS, childEnv, cli as run } from './aws-child.js';

let home: string;
let root: string;

const state = (host: string): string =>
  JSON.stringify({
    version: 4,
    terraform_version: '1.9.0',
    resources: [
      {
        mode: 'managed',
        type: 'aws_db_instance',
        name: 'orders',
        instances: [{ attributes: { id: `db-${host}`, identifier: `orders-${host}`, address: `${host}.db.internal` } }],
      },
    ],
  });
const MAIN_TF = 'resource "aws_db_instance" "orders" {\n  engine = "postgres"\n  port   = 5432\n}\n';
const BACKEND_TF =
  'terraform {\n  backend "s3" {\n    bucket = "tf-state"\n    key    = "shop/terraform.tfstate"\n' +
  '    region = "eu-central-1"\n  }\n}\n';

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'pd-state-home-'));
  root = mkdtempSync(join(tmpdir(), 'pd-state-root-'));
  writeFileSync(join(root, 'main.tf'), MAIN_TF);
  writeFileSync(join(root, 'backend.tf'), BACKEND_TF);
  for (const env of ['dev', 'prod', 'stage']) {
    mkdirSync(join(root, 'envs', env), { recursive: true });
    writeFileSync(join(root, 'envs', env, 'terraform.tfstate'), state(env));
  }
  writeFileSync(join(root, 'envs', 'prod', 'notes.txt'), 'not state');
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  // The SDK's own switch for its Node 20 deprecation warning, so stderr holds only portdrift's words.
  return childEnv(home, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...extra });
}

const cli = (args: string[], e: Record<string, string>) => run(args, root, e);

/** The hosts extract gave aws_db_instance.orders. */
function hostsOf(out: string): string[] {
  const model = JSON.parse(out) as { resources: { address: string; hosts: string[] }[] };
  return model.resources.find((r) => r.address === 'aws_db_instance.orders')?.hosts ?? [];
}

async function withAws<T>(world: Partial<AwsWorld>, fn: (s: AwsServer) => Promise<T>): Promise<T> {
  const empty = { securityGroups: [], instances: [], dbInstances: [], targetGroups: [] };
  const server = await startAwsServer({ ...empty, ...world });
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
async function withHttp<T>(handler: Handler, fn: (url: string, seen: IncomingMessage[]) => Promise<T>): Promise<T> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const S3_WORLD: Partial<AwsWorld> = {
  pageSize: 2,
  s3: {
    'tf-state': {
      'shop/terraform.tfstate': state('shop'),
      'env:/blue/shop/terraform.tfstate': state('blue'),
      'envs/dev/terraform.tfstate': state('dev'),
      'envs/prod/terraform.tfstate': state('prod'),
      'envs/prod/old/terraform.tfstate': state('old'),
      'envs/stage/terraform.tfstate.backup': state('backup'),
      'envs/stage/terraform.tfstate': state('stage'),
      'junk/terraform.tfstate': '<html>not json</html>',
    },
  },
};

describe('--state s3://', () => {
  it('reads the object with the SDK signer, path-style against AWS_ENDPOINT_URL', async () => {
    await withAws(S3_WORLD, async (s) => {
      const r = await cli(
        ['extract', '.', '--state', 's3://tf-state/shop/terraform.tfstate', '--format', 'json'],
        env({ ...KEYS, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: s.url }),
      );
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(hostsOf(r.out)).toEqual(['shop.db.internal']);
      const get = s.requests.find((q) => q.action === 'GetObject');
      expect(get).toMatchObject({ service: 's3', region: 'eu-west-1', accessKeyId: KEYS.AWS_ACCESS_KEY_ID });
      expect(get?.params).toMatchObject({ Bucket: 'tf-state', Key: 'shop/terraform.tfstate' });
    });
  });

  it('a bucket in another region: signed again for the region S3 names (301 x-amz-bucket-region)', async () => {
    await withAws({ ...S3_WORLD, s3Regions: { 'tf-state': 'us-east-2' } }, async (s) => {
      const r = await cli(
        ['extract', '.', '--state', 's3://tf-state/shop/terraform.tfstate', '--format', 'json'],
        env({ ...KEYS, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: s.url }),
      );
      expect(r.err).toBe('');
      expect(hostsOf(r.out)).toEqual(['shop.db.internal']);
      const gets = s.requests.filter((q) => q.action === 'GetObject').map((q) => [q.region, q.status]);
      expect(gets).toEqual([
        ['eu-west-1', 301],
        ['us-east-2', 200],
      ]);
    });
  });

  it('expands a glob over a prefix with ListObjectsV2 (paginated); * stays within one segment', async () => {
    await withAws(S3_WORLD, async (s) => {
      const args = ['extract', '.', '--state', 's3://tf-state/envs/*/terraform.tfstate', '--format', 'json'];
      const r = await cli(args, env({ ...KEYS, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: s.url }));
      expect(r.err).toBe('');
      expect(hostsOf(r.out)).toEqual(['dev.db.internal', 'prod.db.internal', 'stage.db.internal']);
      const lists = s.requests.filter((q) => q.action === 'ListObjectsV2');
      expect(lists.length).toBeGreaterThan(1);
      expect(lists[0]!.params.prefix).toBe('envs/');
    });
  });

  it('a missing key is PD_IAC_PATH and an object that is not state PD_STATE_INVALID, both naming the URL', async () => {
    await withAws(S3_WORLD, async (s) => {
      const e = env({ ...KEYS, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: s.url });
      const missing = await cli(['extract', '.', '--state', 's3://tf-state/nope.tfstate'], e);
      expect(missing.code).toBe(1);
      expect(missing.err).toContain('PD_IAC_PATH');
      expect(missing.err).toContain('s3://tf-state/nope.tfstate');
      expect(missing.err).toContain('NoSuchKey');
      const junk = await cli(['extract', '.', '--state', 's3://tf-state/junk/terraform.tfstate'], e);
      expect(junk.code).toBe(1);
      expect(junk.err).toContain('PD_STATE_INVALID');
      expect(junk.err).toContain('s3://tf-state/junk/terraform.tfstate');
      const none = await cli(['extract', '.', '--state', 's3://tf-state/nothing/*/x.tfstate'], e);
      expect(none.code).toBe(1);
      expect(none.err).toContain('PD_IAC_PATH');
      expect(none.err).toContain('nothing matches');
    });
  });

  it('rejected keys are PD_STATE_FETCH and the secret key appears nowhere', async () => {
    await withAws({ ...S3_WORLD, rejectKeys: [KEYS.AWS_ACCESS_KEY_ID] }, async (s) => {
      const r = await cli(
        ['scan', '.', '--state', 's3://tf-state/shop/terraform.tfstate', '--format', 'json'],
        env({ ...KEYS, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: s.url }),
      );
      expect(r.code).toBe(1);
      expect(r.err).toContain('PD_STATE_FETCH');
      expect(r.err).toContain('InvalidAccessKeyId');
      expect(r.err + r.out).not.toContain(KEYS.AWS_SECRET_ACCESS_KEY);
    });
  });

  it('scan --live aws --aws-profile P reads s3:// state with that profile too', async () => {
    const profileHome = mkdtempSync(join(tmpdir(), 'pd-state-profile-'));
    try {
      mkdirSync(join(profileHome, '.aws'));
      const creds =
        '[statep]\naws_access_key_id = AKIASTATEPROFILE0001\naws_secret_access_key = c3RhdGUtcHJvZmlsZS1zZWNyZXQ\n';
      writeFileSync(join(profileHome, '.aws', 'credentials'), creds);
      await withAws(S3_WORLD, async (s) => {
        const args = ['scan', '.', '--live', 'aws', '--no-probe', '--aws-profile', 'statep', '--format', 'json'];
        const r = await cli(
          [...args, '--state', 's3://tf-state/shop/terraform.tfstate'],
          env({ HOME: profileHome, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: s.url }),
        );
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        const get = s.requests.find((q) => q.action === 'GetObject');
        expect(get).toMatchObject({ accessKeyId: 'AKIASTATEPROFILE0001', status: 200 });
      });
    } finally {
      rmSync(profileHome, { recursive: true, force: true });
    }
  });

  it('--state-from-backend reads bucket, key and region of the backend "s3" block', async () => {
    await withAws(S3_WORLD, async (s) => {
      const r = await cli(
        ['extract', '.', '--state-from-backend', '--format', 'json'],
        env({ ...KEYS, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: s.url }),
      );
      expect(r.err).toBe('');
      expect(hostsOf(r.out)).toEqual(['shop.db.internal']);
      expect(s.requests.find((q) => q.action === 'GetObject')?.region).toBe('eu-central-1');
      const blue = await cli(
        ['extract', '.', '--state-from-backend', '--format', 'json'],
        env({ ...KEYS, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: s.url, TF_WORKSPACE: 'blue' }),
      );
      expect(blue.err).toBe('');
      expect(hostsOf(blue.out)).toEqual(['blue.db.internal']);
      const none = await cli(['extract', 'envs/prod', '--state-from-backend'], env());
      expect(none.code).toBe(1);
      expect(none.err).toContain('PD_IAC_PATH');
      expect(none.err).toContain('no backend "s3" block');
      const both = await cli(['extract', '.', '--state-from-backend', '--state', 'x.tfstate'], env());
      expect(both.code).toBe(1);
      expect(both.err).toContain('PD_USAGE');
    });
  });
});

describe('--state local globs', () => {
  it('a quoted glob matches files in every env directory, not other names', async () => {
    const r = await cli(['extract', '.', '--state', 'envs/*/terraform.tfstate', '--format', 'json'], env());
    expect(r.err).toBe('');
    expect(hostsOf(r.out)).toEqual(['dev.db.internal', 'prod.db.internal', 'stage.db.internal']);
    const none = await cli(['extract', '.', '--state', 'envs/*/nothing.tfstate'], env());
    expect(none.code).toBe(1);
    expect(none.err).toContain('PD_IAC_PATH');
    expect(none.err).toContain('envs/*/nothing.tfstate');
  });
});

const TOKEN = 'secret-token-4f2a9c';

describe('--state https:// (Terraform HTTP backend)', () => {
  it('GETs the address with basic auth from TF_HTTP_USERNAME / TF_HTTP_PASSWORD', async () => {
    await withHttp(
      (req, res) => {
        const ok = req.headers.authorization === `Basic ${Buffer.from(`ci:${TOKEN}`).toString('base64')}`;
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(ok ? state('http') : '{}');
      },
      async (url, seen) => {
        const r = await cli(
          ['extract', '.', '--state', `${url}/state/shop`, '--format', 'json'],
          env({ TF_HTTP_USERNAME: 'ci', TF_HTTP_PASSWORD: TOKEN }),
        );
        expect(r.err).toBe('');
        expect(hostsOf(r.out)).toEqual(['http.db.internal']);
        expect(seen.map((q) => `${q.method} ${q.url}`)).toEqual(['GET /state/shop']);
      },
    );
  });

  it('a failing backend is PD_STATE_FETCH naming the URL; its error never holds the token', async () => {
    await withHttp(
      (req, res) => {
        res.writeHead(req.url === '/missing' ? 404 : 500);
        res.end(`echo ${req.headers.authorization}`);
      },
      async (url) => {
        const e = env({ PORTDRIFT_STATE_HTTP_AUTH: `Bearer ${TOKEN}` });
        const r = await cli(['scan', '.', '--state', `${url}/broken?sig=${TOKEN}`, '--format', 'json'], e);
        expect(r.code).toBe(1);
        expect(r.err).toContain('PD_STATE_FETCH');
        expect(r.err).toContain(`${url}/broken?…`);
        expect(r.err).toContain('HTTP 500');
        expect(r.err + r.out).not.toContain(TOKEN);
        const missing = await cli(['extract', '.', '--state', `${url}/missing`], e);
        expect(missing.err).toContain('PD_IAC_PATH');
        expect(missing.err).toContain(`${url}/missing`);
        expect(missing.err).not.toContain(TOKEN);
      },
    );
  });

  it('unreachable: PD_STATE_FETCH; not JSON: PD_STATE_INVALID; credentials in the URL: refused', async () => {
    const port = await withHttp(
      () => undefined,
      async (url) => new URL(url).port,
    );
    const gone = await cli(['extract', '.', '--state', `http://127.0.0.1:${port}/s`], env());
    expect(gone.code).toBe(1);
    expect(gone.err).toContain('PD_STATE_FETCH');
    expect(gone.err).toContain('ECONNREFUSED');
    await withHttp(
      (_req, res) => res.end('<html>login</html>'),
      async (url) => {
        const r = await cli(['extract', '.', '--state', `${url}/s`], env());
        expect(r.err).toContain('PD_STATE_INVALID');
        expect(r.err).toContain(`${url}/s`);
      },
    );
    const inline = await cli(['extract', '.', '--state', `http://ci:${TOKEN}@127.0.0.1:1/s`], env());
    expect(inline.code).toBe(1);
    expect(inline.err).toContain('PD_USAGE');
    expect(inline.err).not.toContain(TOKEN);
  });
});

describe('--state tfc:// (HCP Terraform / TFE API)', () => {
  const tfc =
    (base: () => string): Handler =>
    (req, res) => {
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/vnd.api+json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(401, { errors: [{ status: '401' }] });
      if (req.url === '/api/v2/organizations/acme/workspaces/shop-prod') {
        return json(200, { data: { id: 'ws-abc123', type: 'workspaces', attributes: { name: 'shop-prod' } } });
      }
      if (req.url === '/api/v2/workspaces/ws-abc123/current-state-version') {
        const download = `${base()}/api/state-versions/sv-1/hosted_state`;
        return json(200, { data: { id: 'sv-1', attributes: { serial: 7, 'hosted-state-download-url': download } } });
      }
      if (req.url === '/api/state-versions/sv-1/hosted_state') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(state('tfc'));
      }
      json(404, { errors: [{ status: '404', title: 'not found' }] });
    };

  it('reads the current state version with the token of TF_TOKEN_<host>', async () => {
    let base = '';
    await withHttp(
      tfc(() => base),
      async (url, seen) => {
        base = url;
        const host = new URL(url).host;
        const r = await cli(
          ['extract', '.', '--state', `tfc://${host}/acme/shop-prod`, '--format', 'json'],
          env({ TF_TOKEN_127_0_0_1: TOKEN }),
        );
        expect(r.err).toBe('');
        expect(hostsOf(r.out)).toEqual(['tfc.db.internal']);
        expect(seen.map((q) => q.url)).toEqual([
          '/api/v2/organizations/acme/workspaces/shop-prod',
          '/api/v2/workspaces/ws-abc123/current-state-version',
          '/api/state-versions/sv-1/hosted_state',
        ]);
      },
    );
  });

  it('a missing workspace is PD_IAC_PATH, no token PD_STATE_FETCH naming the variable; never the token', async () => {
    let base = '';
    await withHttp(
      tfc(() => base),
      async (url) => {
        base = url;
        const host = new URL(url).host;
        const r = await cli(['scan', '.', '--state', `tfc://${host}/acme/nope`], env({ TF_TOKEN_127_0_0_1: TOKEN }));
        expect(r.code).toBe(1);
        expect(r.err).toContain('PD_IAC_PATH');
        expect(r.err).toContain(`tfc://${host}/acme/nope`);
        expect(r.err).not.toContain(TOKEN);
        const wrong = env({ TF_TOKEN_127_0_0_1: 'wrong-x' });
        const bad = await cli(['extract', '.', '--state', `tfc://${host}/acme/shop-prod`], wrong);
        expect(bad.err).toContain('PD_STATE_FETCH');
        expect(bad.err).toContain('HTTP 401');
        expect(bad.err).not.toContain('wrong-x');
        const none = await cli(['extract', '.', '--state', `tfc://${host}/acme/shop-prod`], env());
        expect(none.err).toContain('PD_STATE_FETCH');
        expect(none.err).toContain('set TF_TOKEN_127_0_0_1');
      },
    );
  });
});
