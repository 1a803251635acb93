// SSH (server-first): the identification line `SSH-2.0-OpenSSH_9.2p1 Debian-2` arrives on
// connect (RFC 4253 §4.2), before anything is sent. Read passively; nothing is sent.
import type { Fingerprint } from '../../shared/types.js';
import { excerpt, firstLine, startsLike } from './text.js';
import type { ProtocolModule } from './types.js';

/**
 * What OpenSSH's sshd sends instead of its identification line when its MaxStartups limit of
 * unauthenticated connections is reached (then it closes): still an SSH server, just a busy one.
 */
const BUSY = 'Exceeded MaxStartups\r\n';

/** The identification line is at most 255 characters (RFC 4253 §4.2). */
const MAX_LINE = 255;

export const ssh: ProtocolModule = {
  name: 'ssh',
  hello: null,
  match(data, done) {
    if (startsLike(data, BUSY)) {
      if (data.length < BUSY.length) return done ? null : 'more';
      return {
        service: 'ssh',
        product: 'OpenSSH',
        detail: 'Exceeded MaxStartups (too many unauthenticated connections)',
      };
    }
    if (!startsLike(data, 'SSH-')) return null;
    const line = firstLine(data, MAX_LINE);
    if (line === null && !done && data.length < MAX_LINE) return 'more';
    if (data.length < 4) return null;
    const text = line ?? data.subarray(0, MAX_LINE).toString('latin1');
    const m = /^SSH-(\d+\.\d+)-(\S+)/.exec(text);
    const fp: Fingerprint = { service: 'ssh', detail: excerpt(Buffer.from(text, 'latin1'), 120) };
    if (!m) return fp;
    // `OpenSSH_9.2p1`, `dropbear_2022.83`: product and version are joined by `_`.
    const soft = /^([^_]+)_(.+)$/.exec(m[2]!);
    return soft ? { ...fp, product: soft[1]!, version: soft[2]! } : { ...fp, product: m[2]! };
  },
};
