// Each protocol module recognises its own answers (also arriving in pieces), says `more` only
// while the bytes can still become its answer, and refuses every other protocol's answer.
import { describe, expect, it } from 'vitest';
import { PROTOCOLS, recogniser } from '../../../../agent/fingerprint/registry.js';
import type { HelloContext, ProtocolModule } from '../../../../agent/fingerprint/types.js';
import type { ServiceName } from '../../../../shared/types.js';
import { amqpStart, bson, kafkaResponse, mongoReply, mysqlError, mysqlGreeting, pgError } from './fixtures.js';

const REQ = 0x70647266;
const mod = (name: ServiceName): ProtocolModule => PROTOCOLS.find((m) => m.name === name)!;
const ctx = (sent: ServiceName | null, hint: ServiceName | null = null, port = 10000): HelloContext => ({
  host: 'db.internal',
  ip: '10.0.0.5',
  port,
  hint,
  sent,
});

/** [module, the hello that was sent, the answer, what it must be recognised as] */
const answers: [ServiceName, ServiceName | null, Buffer, object][] = [
  [
    'ssh',
    null,
    Buffer.from('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'),
    { service: 'ssh', product: 'OpenSSH', version: '9.2p1', detail: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3' },
  ],
  [
    'ssh',
    null,
    Buffer.from('SSH-2.0-dropbear_2022.83\r\n'),
    { service: 'ssh', product: 'dropbear', version: '2022.83' },
  ],
  [
    'smtp',
    null,
    Buffer.from('220 mail.example.com ESMTP Postfix (Debian/GNU)\r\n'),
    { service: 'smtp', product: 'Postfix' },
  ],
  [
    'smtp',
    null,
    Buffer.from('220 mx ESMTP Exim 4.96 Sun, 06 Dec 2026 20:00:00 +0000\r\n'),
    { service: 'smtp', product: 'Exim', version: '4.96' },
  ],
  [
    'ssh',
    null,
    Buffer.from('Exceeded MaxStartups\r\n'),
    { service: 'ssh', product: 'OpenSSH', detail: 'Exceeded MaxStartups (too many unauthenticated connections)' },
  ],
  ['ftp', null, Buffer.from('220 (vsFTPd 3.0.3)\r\n'), { service: 'ftp', product: 'vsFTPd', version: '3.0.3' }],
  [
    'ftp',
    null,
    Buffer.from('220 ProFTPD Server (Debian) [::ffff:10.0.0.5]\r\n'),
    { service: 'ftp', product: 'ProFTPD' },
  ],
  ['mysql', null, mysqlGreeting('8.0.36'), { service: 'mysql', product: 'MySQL', version: '8.0.36' }],
  [
    'mysql',
    null,
    mysqlGreeting('5.5.5-10.11.6-MariaDB-0+deb12u1'),
    { service: 'mysql', product: 'MariaDB', version: '10.11.6' },
  ],
  [
    'mysql',
    null,
    mysqlError(1130, "Host '10.0.0.9' is not allowed to connect to this MariaDB server"),
    { service: 'mysql', detail: "error 1130: Host '10.0.0.9' is not allowed to connect to this MariaDB server" },
  ],
  ['postgres', 'postgres', Buffer.from('N'), { service: 'postgres', detail: 'no TLS (SSLRequest answered N)' }],
  ['postgres', 'postgres', Buffer.from('S'), { service: 'postgres', detail: 'TLS offered (SSLRequest answered S)' }],
  [
    'postgres',
    'postgres',
    pgError('unsupported frontend protocol 1234.5679'),
    { service: 'postgres', detail: 'error response: unsupported frontend protocol 1234.5679' },
  ],
  [
    'http',
    'http',
    Buffer.from('HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 3\r\n\r\n'),
    { service: 'http', product: 'nginx', version: '1.22.1', detail: 'HTTP/1.1 200 OK; Server: nginx/1.22.1' },
  ],
  [
    'http',
    'http',
    Buffer.from('HTTP/1.0 404 Not Found\r\n\r\n'),
    { service: 'http', detail: 'HTTP/1.0 404 Not Found' },
  ],
  ['redis', 'redis', Buffer.from('+PONG\r\n'), { service: 'redis', detail: 'PING answered +PONG' }],
  [
    'redis',
    'redis',
    Buffer.from('-NOAUTH Authentication required.\r\n'),
    { service: 'redis', detail: 'authentication required' },
  ],
  [
    'redis',
    'redis',
    Buffer.from('-DENIED Redis is running in protected mode because protected mode is enabled\r\n'),
    { service: 'redis', detail: 'protected mode' },
  ],
  [
    'redis',
    'memcached',
    Buffer.from("-ERR unknown command 'version', with args beginning with: \r\n"),
    { service: 'redis' },
  ],
  ['memcached', 'memcached', Buffer.from('VERSION 1.6.18\r\n'), { service: 'memcached', version: '1.6.18' }],
  ['memcached', 'redis', Buffer.from('ERROR\r\n'), { service: 'memcached', detail: 'answered PING with ERROR' }],
  [
    'mongodb',
    'mongodb',
    mongoReply(
      REQ,
      bson([
        ['isWritablePrimary', true],
        ['maxWireVersion', 21],
        ['setName', 'rs0'],
        ['ok', 1],
      ]),
    ),
    { service: 'mongodb', detail: 'maxWireVersion 21; replica set rs0' },
  ],
  ['kafka', 'kafka', kafkaResponse(REQ, 0, 60), { service: 'kafka', detail: 'ApiVersions: 60 APIs' }],
  [
    'kafka',
    'kafka',
    kafkaResponse(REQ, 35, 0),
    { service: 'kafka', detail: 'ApiVersions v0 answered UNSUPPORTED_VERSION' },
  ],
  ['amqp', 'amqp', amqpStart('RabbitMQ', '3.12.1'), { service: 'amqp', product: 'RabbitMQ', version: '3.12.1' }],
  ['amqp', 'amqp', Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]), { service: 'amqp' }],
  [
    'http2',
    'http2',
    Buffer.from([0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100]),
    { service: 'http2', detail: 'SETTINGS frame' },
  ],
  [
    'http2',
    'http',
    Buffer.from([0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    { service: 'http2', detail: 'GOAWAY frame' },
  ],
];

describe('protocol matchers', () => {
  it.each(answers.map(([name, sent, data, want], i) => [`${i} ${name}`, name, sent, data, want] as const))(
    '%s: recognised whole, and in pieces after `more`',
    (_, name, sent, data, want) => {
      const m = mod(name);
      expect(m.match(data, false, ctx(sent))).toMatchObject(want);
      expect(m.match(data, true, ctx(sent))).toMatchObject(want);
      // Every proper prefix is `more` (not yet) or already the same answer, never a refusal.
      for (let n = 1; n < data.length; n++) {
        const r = m.match(data.subarray(0, n), false, ctx(sent));
        if (r !== 'more')
          expect(r, `prefix of ${n} bytes`).toMatchObject({ service: (want as { service: string }).service });
      }
    },
  );

  it('no module recognises another protocol’s answer', () => {
    for (const [name, sent, data] of answers) {
      for (const other of PROTOCOLS.filter((m) => m.name !== name)) {
        const r = other.match(data, true, ctx(sent));
        // memcached answers redis's PING with ERROR and redis answers memcached's `version` with
        // its own error: there the answer names the other module's service, as it should.
        if (r && typeof r === 'object') expect(r.service, `${other.name} on ${name}'s answer`).toBe(name);
      }
    }
  });

  it('a lone S or N names postgres only as the answer to its SSLRequest', () => {
    expect(mod('postgres').match(Buffer.from('S'), false, ctx(null))).toBeNull();
    expect(mod('postgres').match(Buffer.from('N'), true, ctx('http'))).toBeNull();
  });

  it('a 220 greeting that names neither protocol goes by the expected service, then the port, then smtp', () => {
    const plain = Buffer.from('220 Welcome\r\n');
    expect(mod('ftp').match(plain, false, ctx(null, 'ftp'))).toMatchObject({ service: 'ftp' });
    expect(mod('smtp').match(plain, false, ctx(null, 'ftp'))).toBeNull();
    expect(mod('ftp').match(plain, false, ctx(null, null, 21))).toMatchObject({ service: 'ftp' });
    expect(mod('smtp').match(plain, false, ctx(null))).toMatchObject({ service: 'smtp' });
    expect(mod('ftp').match(plain, false, ctx(null))).toBeNull();
  });

  it('binary garbage and text of other kinds are refused at once, not read further', () => {
    const garbage = Buffer.from([
      0x16, 0x03, 0x03, 0x40, 0x00, 0xe4, 0xf1, 0xdd, 0x4c, 0xe7, 0x0a, 0xde, 0x26, 0xab, 0xbd, 0x5c, 0xea, 0x6a,
    ]);
    const text = Buffer.from('RFB 003.008\n');
    for (const m of PROTOCOLS) {
      for (const sent of [null, m.name]) {
        expect(m.match(garbage, false, ctx(sent)), `${m.name} sent ${sent}`).toBeNull();
        expect(m.match(text, false, ctx(sent)), `${m.name} sent ${sent}`).toBeNull();
      }
    }
  });

  it('a reply to another request id is not MongoDB or Kafka', () => {
    expect(mod('mongodb').match(mongoReply(12345, bson([['ok', 1]])), true, ctx('mongodb'))).toBeNull();
    expect(mod('kafka').match(kafkaResponse(12345, 0, 3), true, ctx('kafka'))).toBeNull();
  });

  it('an SSH banner cut short by a reset still names ssh; a lone "SSH" does not', () => {
    expect(mod('ssh').match(Buffer.from('SSH-2.0-Open'), true, ctx(null))).toMatchObject({ service: 'ssh' });
    expect(mod('ssh').match(Buffer.from('SSH'), true, ctx(null))).toBeNull();
    expect(mod('ssh').match(Buffer.from('SSH'), false, ctx(null))).toBe('more');
  });
});

describe('malformed answers', () => {
  // Deterministic pseudo-random bytes (xorshift), so a failure can be replayed.
  function bytes(seed: number, n: number): Buffer {
    let x = seed || 1;
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      b[i] = x & 0xff;
    }
    return b;
  }

  it('no matcher throws on any prefix of a real answer with its tail corrupted, nor on random bytes', () => {
    const inputs: Buffer[] = [];
    for (const [, , data] of answers) {
      for (let n = 0; n <= data.length; n++) {
        inputs.push(data.subarray(0, n));
        inputs.push(Buffer.concat([data.subarray(0, n), bytes(n + 7, 40)]));
      }
    }
    for (let seed = 1; seed <= 300; seed++) inputs.push(bytes(seed, 1 + (seed % 97)));
    const failures: string[] = [];
    for (const data of inputs) {
      for (const m of PROTOCOLS) {
        // As a banner, as the answer to its own hello, and to the HTTP and Redis hellos.
        for (const sent of [null, m.name, 'http', 'redis'] as (ServiceName | null)[]) {
          for (const done of [false, true]) {
            try {
              m.match(data, done, ctx(sent));
            } catch (err) {
              if (failures.length < 5) failures.push(`${m.name} on ${data.toString('hex')}: ${(err as Error).message}`);
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('the combined recogniser never throws, even if a matcher does', () => {
    const broken = {
      ...PROTOCOLS[0]!,
      match: () => {
        throw new RangeError('out of range');
      },
    };
    const list = PROTOCOLS as ProtocolModule[];
    const saved = list[0]!;
    list[0] = broken;
    try {
      expect(recogniser(ctx(null))(Buffer.from('SSH-2.0-OpenSSH_9.2\r\n'), false)).toBeNull();
    } finally {
      list[0] = saved;
    }
  });
});
