import { createServer, connect, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { decodeAddress, listenerRecords, parseProcNetTcp, readListeners } from '../../../../agent/daemon/listeners.js';

// Real lines from a little-endian (x86-64) kernel.
const TCP =
  `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20001 1 ` +
  `0000000000000000 100 0 0 10 0
   1: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20002 1 ` +
  `0000000000000000 100 0 0 10 0
   2: 0500000A:1538 0100000A:D431 01 00000000:00000000 ` +
  `00:00000000 00000000     0        0 20003 1 0000000000000000 20 4 30 10 -1
`;
const TCP6 =
  `  sl  local_address                         remote_address                        st tx_queue ` +
  `rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 ` +
  `00:00000000 00000000     0        0 30001 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 ` +
  `00:00000000 00000000     0        0 30002 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000500000A:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 ` +
  `00:00000000 00000000     0        0 30003 1 0000000000000000 100 0 0 10 0
   3: B80D0120000000000000000001000000:01BB ` +
  `00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 ` +
  `00000000     0        0 30004 1 0000000000000000 100 0 0 10 0
`;

describe('/proc/net/tcp parsing', () => {
  it('keeps LISTEN rows only and decodes little-endian IPv4', () => {
    expect(parseProcNetTcp(TCP, true)).toEqual([
      { ip: '127.0.0.1', port: 8080 },
      { ip: '0.0.0.0', port: 2024 },
    ]);
  });

  it('decodes IPv6 words, compressed: ::1, ::, mapped IPv4, 2001:db8::1', () => {
    expect(parseProcNetTcp(TCP6, true)).toEqual([
      { ip: '::1', port: 22 },
      { ip: '::', port: 8081 },
      { ip: '::ffff:a00:5', port: 80 },
      { ip: '2001:db8::1', port: 443 },
    ]);
  });

  it('honours a big-endian kernel', () => {
    expect(decodeAddress('7F000001', false)).toBe('127.0.0.1');
    expect(decodeAddress('00000000000000000000000000000001', false)).toBe('::1');
  });

  it('refuses text that is not the table', () => {
    expect(() => parseProcNetTcp('hello\n', true)).toThrow(/not a \/proc\/net\/tcp table/);
  });

  it('builds listener records', () => {
    expect(listenerRecords([{ ip: '::1', port: 22 }], '2026-01-01T00:00:00.000Z')).toEqual([
      { t: 'listener', ip: '::1', port: 22, at: '2026-01-01T00:00:00.000Z' },
    ]);
  });
});

function listen(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => resolve(s));
  });
}
const portOf = (s: Server) => (s.address() as { port: number }).port;

describe('readListeners on this machine', () => {
  it('finds our own loopback listeners (IPv4 and IPv6) and not a connected socket', async () => {
    const v4 = await listen('127.0.0.1');
    let v6: Server | undefined;
    try {
      v6 = await listen('::1');
    } catch {
      /* IPv6 disabled here: the v4 half still has to hold */
    }
    const client = connect(portOf(v4), '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    try {
      const found = readListeners();
      expect(found).toContainEqual({ ip: '127.0.0.1', port: portOf(v4) });
      if (v6) expect(found).toContainEqual({ ip: '::1', port: portOf(v6) });
      // The client's ephemeral port is an ESTABLISHED socket, not a listener.
      expect(found.some((l) => l.port === client.localPort)).toBe(false);
      // Sorted and distinct.
      const keys = found.map((l) => `${l.port}|${l.ip}`);
      expect(new Set(keys).size).toBe(keys.length);
    } finally {
      client.destroy();
      v4.close();
      v6?.close();
    }
  });
});
