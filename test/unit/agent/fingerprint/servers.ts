// Protocol servers on loopback for the runner tests, for protocols whose real daemons this
// machine does not have (MySQL, SMTP, MongoDB, Kafka, AMQP): each parses and answers like the
// real one does at the handshake, from the protocol specifications, including how it treats a
// hello it does not understand (drop the connection, or wait for more). Each closes on demand.
import { createServer, type Server, type Socket } from 'node:net';
import { amqpStart, bson, kafkaResponse, mongoReply, mysqlGreeting } from './fixtures.js';

export interface Running {
  port: number;
  close: () => Promise<void>;
  /** Connections accepted so far. */
  accepted: () => number;
}

export async function serve(onConnection: (s: Socket) => void): Promise<Running> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onConnection(s);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    accepted: () => accepted,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Collects bytes until `need(buffer)` returns a length that has fully arrived, then calls `then`. */
function framed(s: Socket, need: (b: Buffer) => number | 'drop', then: (b: Buffer) => void): void {
  let buf = Buffer.alloc(0);
  s.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    const n = need(buf);
    if (n === 'drop') s.destroy();
    else if (buf.length >= n) then(buf);
  });
}

export const mysqlServer = () => serve((s) => s.write(mysqlGreeting('8.0.36')));
export const smtpServer = (delayMs = 20) =>
  serve((s) => setTimeout(() => s.write('220 mx.lab ESMTP Postfix (Debian/GNU)\r\n'), delayMs));

/** mongod: a header whose length is out of range drops the connection; OP_MSG gets a hello reply. */
export const mongoServer = () =>
  serve((s) =>
    framed(
      s,
      (b) => (b.length < 4 ? 16 : b.readInt32LE(0) < 16 || b.readInt32LE(0) > 48_000_000 ? 'drop' : b.readInt32LE(0)),
      (b) => {
        if (b.readInt32LE(12) !== 2013) return void s.destroy();
        s.write(
          mongoReply(
            b.readInt32LE(4),
            bson([
              ['isWritablePrimary', true],
              ['maxWireVersion', 21],
              ['ok', 1],
            ]),
          ),
        );
      },
    ),
  );

/** A Kafka broker: sizes over socket.request.max.bytes drop it; ApiVersions is answered, anything else dropped. */
export const kafkaServer = () =>
  serve((s) =>
    framed(
      s,
      (b) =>
        b.length < 4 ? 4 : b.readInt32BE(0) < 8 || b.readInt32BE(0) > 104_857_600 ? 'drop' : b.readInt32BE(0) + 4,
      (b) => {
        if (b.readInt16BE(4) !== 18) return void s.destroy();
        s.write(kafkaResponse(b.readInt32BE(8), 0, 3));
      },
    ),
  );

/** RabbitMQ: the 0-9-1 header gets Connection.Start; any other 8 bytes get its own header, then close. */
export const amqpServer = () =>
  serve((s) =>
    framed(
      s,
      () => 8,
      (b) => {
        if (b.subarray(0, 8).equals(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1])))
          s.write(amqpStart('RabbitMQ', '3.12.1'));
        else s.end(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]));
      },
    ),
  );

/** Accepts and never says anything. */
export const silentServer = () => serve(() => undefined);
