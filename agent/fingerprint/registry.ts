// The protocol modules, and the order their hellos are tried in for one port: the expected
// service first (given, or the port's usual one), so a service that is what it should be costs
// one round trip; otherwise a short wait for a server-first banner, then the client-first
// hellos, most common first. Every answer is shown to every module, the sender's first.
import { wellKnownService } from '../../shared/services.js';
import type { ServiceName } from '../../shared/types.js';
import { amqp } from './amqp.js';
import { ftp } from './ftp.js';
import { http } from './http.js';
import { http2 } from './http2.js';
import { kafka } from './kafka.js';
import { memcached } from './memcached.js';
import { mongodb } from './mongodb.js';
import { mysql } from './mysql.js';
import { postgres } from './postgres.js';
import { redis } from './redis.js';
import { smtp } from './smtp.js';
import { ssh } from './ssh.js';
import { tls } from './tls.js';
import type { HelloContext, Match, ProtocolModule } from './types.js';

/** Server-first modules: recognised from a banner, never sent anything. */
const SERVER_FIRST: readonly ProtocolModule[] = [ssh, ftp, smtp, mysql];
/**
 * Client-first modules in the order tried when nothing is expected. Text hellos (ending in a
 * line break) come first: binary services drop a connection whose first bytes make no sense
 * at once, while text services wait silently for the line end a binary hello never sends, so
 * this order makes wrong guesses cheap.
 */
const CLIENT_FIRST: readonly ProtocolModule[] = [http, redis, memcached, tls, postgres, mongodb, kafka, amqp, http2];

export const PROTOCOLS: readonly ProtocolModule[] = [...SERVER_FIRST, ...CLIENT_FIRST];

/** One attempt of a port's fingerprinting: wait for a banner, or send one module's hello. */
export type Step = { kind: 'banner' } | { kind: 'hello'; module: ProtocolModule };

/** The service to try first on a port: the expectation, else the port's usual service. */
export function firstGuess(port: number, expect: ServiceName | null | undefined): ServiceName | null {
  return expect && expect !== 'unknown' ? expect : wellKnownService(port);
}

export function steps(first: ServiceName | null): Step[] {
  const lead = CLIENT_FIRST.find((m) => m.name === first);
  const hellos = CLIENT_FIRST.filter((m) => m !== lead).map((module): Step => ({ kind: 'hello', module }));
  return lead ? [{ kind: 'hello', module: lead }, { kind: 'banner' }, ...hellos] : [{ kind: 'banner' }, ...hellos];
}

/**
 * The matcher for one attempt: the sending module first, then the server-first ones (a banner
 * arrives whatever was sent), then the rest. The first recognised answer wins; while a module
 * earlier in that order still sees a valid prefix of its answer, reading goes on.
 */
export function recogniser(ctx: HelloContext): (data: Buffer, done: boolean) => Match {
  const sender = PROTOCOLS.find((m) => m.name === ctx.sent);
  const order = sender ? [sender, ...PROTOCOLS.filter((m) => m !== sender)] : PROTOCOLS;
  return (data, done) => {
    let more = false;
    for (const m of order) {
      let r: Match;
      try {
        r = m.match(data, done, ctx);
      } catch {
        // A matcher that trips over malformed bytes has simply not recognised them: hostile
        // answers must cost a fingerprint at most, never the run.
        r = null;
      }
      if (r === 'more') {
        if (!done) return 'more';
        more = true;
      } else if (r) return r;
    }
    return more && !done ? 'more' : null;
  };
}
