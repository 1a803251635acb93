// A real SMTP server on loopback (smtp-server) that parses every message it accepts
// (mailparser), for the report tests. Optional AUTH and STARTTLS with a given certificate; without
// a certificate the server offers no STARTTLS (and refuses the command). Every AUTH that arrives is
// recorded, with whether the session was encrypted at that moment, so a test can tell that a
// password never crossed the wire in clear. `hold` delays the answer to a message's DATA (the
// test may kill the sender meanwhile): a message whose sender hung up before the answer was
// never accepted, and is recorded in `dropped`, not in `messages`.
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Sink {
  port: number;
  messages: ParsedMail[];
  /** Raw messages as received, for checks on the MIME structure. */
  raw: string[];
  secured: boolean[];
  /** Every AUTH command that reached the server, in order: the user and whether TLS was up. */
  auths: Array<{ user: string; secure: boolean }>;
  /** Messages whose sender hung up while `hold` delayed the answer (never accepted), as it hangs up. */
  dropped: ParsedMail[];
  /** Resolves when `n` messages have been received in total. */
  received(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSink(
  options: {
    auth?: { user: string; pass: string };
    tls?: { key: string; cert: string };
    /** Awaited before a message is answered 250; it gets the parsed message and its index (0, 1, …). */
    hold?: (message: ParsedMail, index: number) => Promise<void>;
  } = {},
): Promise<Sink> {
  const dropped: ParsedMail[] = [];
  const closed = new Set<string>();
  const held = new Map<string, ParsedMail>();
  let arrived = 0;
  const messages: ParsedMail[] = [];
  const raw: string[] = [];
  const secured: boolean[] = [];
  const auths: Sink['auths'] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server = new SMTPServer({
    logger: false,
    authOptional: !options.auth,
    allowInsecureAuth: !options.tls,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : { disabledCommands: ['STARTTLS'] }),
    onAuth(auth, session, cb) {
      auths.push({ user: auth.username ?? '', secure: Boolean(session.secure) });
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass)
        return cb(null, { user: auth.username });
      return cb(new Error('Invalid username or password'));
    },
    onClose(session) {
      closed.add(session.id);
      const m = held.get(session.id);
      if (m) dropped.push(m);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        simpleParser(text)
          .then(async (parsed) => {
            if (options.hold) {
              held.set(session.id, parsed);
              await options.hold(parsed, arrived++);
              held.delete(session.id);
            }
            if (closed.has(session.id)) return; // in `dropped`
            raw.push(text);
            messages.push(parsed);
            secured.push(Boolean(session.secure));
            for (const w of waiters.filter((w) => messages.length >= w.n)) w.resolve();
            cb();
          })
          .catch(cb);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server as unknown as { server: { address(): AddressInfo } }).server.address().port;
  return {
    port,
    messages,
    raw,
    secured,
    auths,
    dropped,
    received: (n) =>
      messages.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
