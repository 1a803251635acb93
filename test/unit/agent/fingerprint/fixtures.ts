// Protocol answers as bytes, written from the protocols' specifications, for the matcher tests
// and the loopback protocol servers of the runner tests.

/** A MySQL/MariaDB initial handshake packet (protocol 10) with this server version. */
export function mysqlGreeting(version: string): Buffer {
  const body = Buffer.concat([
    Buffer.from([0x0a]),
    Buffer.from(`${version}\0`, 'latin1'),
    Buffer.from([1, 0, 0, 0]), // thread id
    Buffer.from('abcdefgh\0', 'latin1'), // auth-plugin-data part 1 + filler
    Buffer.from([0xff, 0xf7, 0x21, 0x02, 0, 0xff, 0x81, 0x15]),
    Buffer.alloc(10),
    Buffer.from('ijklmnopqrst\0mysql_native_password\0', 'latin1'),
  ]);
  return Buffer.concat([Buffer.from([body.length & 0xff, (body.length >> 8) & 0xff, 0, 0]), body]);
}

/** A MySQL error packet before authentication (no SQL state marker). */
export function mysqlError(code: number, message: string): Buffer {
  const body = Buffer.concat([Buffer.from([0xff, code & 0xff, code >> 8]), Buffer.from(message, 'latin1')]);
  return Buffer.concat([Buffer.from([body.length, 0, 0, 0]), body]);
}

/** BSON for flat documents of int32, boolean and string fields. */
export function bson(fields: [string, number | boolean | string][]): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of fields) {
    const key = Buffer.from(`${k}\0`);
    if (typeof v === 'number') {
      const b = Buffer.alloc(4);
      b.writeInt32LE(v);
      parts.push(Buffer.from([0x10]), key, b);
    } else if (typeof v === 'boolean') parts.push(Buffer.from([0x08]), key, Buffer.from([v ? 1 : 0]));
    else {
      const s = Buffer.from(`${v}\0`);
      const n = Buffer.alloc(4);
      n.writeInt32LE(s.length);
      parts.push(Buffer.from([0x02]), key, n, s);
    }
  }
  const body = Buffer.concat([...parts, Buffer.from([0])]);
  const size = Buffer.alloc(4);
  size.writeInt32LE(body.length + 4);
  return Buffer.concat([size, body]);
}

/** An OP_MSG reply to request `responseTo` carrying `doc`. */
export function mongoReply(responseTo: number, doc: Buffer): Buffer {
  const h = Buffer.alloc(21);
  h.writeInt32LE(21 + doc.length, 0);
  h.writeInt32LE(99, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(2013, 12);
  return Buffer.concat([h, doc]);
}

/** A Kafka ApiVersions v0 response: correlation id, error code, `apis` entries. */
export function kafkaResponse(correlationId: number, error: number, apis: number): Buffer {
  const body = Buffer.alloc(4 + 2 + 4 + apis * 6);
  body.writeInt32BE(correlationId, 0);
  body.writeInt16BE(error, 4);
  body.writeInt32BE(apis, 6);
  for (let i = 0; i < apis; i++) body.writeInt16BE(i, 10 + i * 6);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** An AMQP 0-9-1 Connection.Start frame whose server properties name product and version. */
export function amqpStart(product: string, version: string): Buffer {
  const field = (k: string, v: string) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(Buffer.byteLength(v));
    return Buffer.concat([Buffer.from([k.length]), Buffer.from(k), Buffer.from('S'), len, Buffer.from(v)]);
  };
  const table = Buffer.concat([field('product', product), field('version', version)]);
  const tableLen = Buffer.alloc(4);
  tableLen.writeUInt32BE(table.length);
  const mechanisms = Buffer.from('PLAIN AMQPLAIN');
  const mechLen = Buffer.alloc(4);
  mechLen.writeUInt32BE(mechanisms.length);
  const locales = Buffer.from('en_US');
  const locLen = Buffer.alloc(4);
  locLen.writeUInt32BE(locales.length);
  const payload = Buffer.concat([
    Buffer.from([0, 10, 0, 10, 0, 9]),
    tableLen,
    table,
    mechLen,
    mechanisms,
    locLen,
    locales,
  ]);
  const head = Buffer.alloc(7);
  head[0] = 1;
  head.writeUInt16BE(0, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([0xce])]);
}

/** A PostgreSQL ErrorResponse with severity, code and message fields. */
export function pgError(message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C08P01\0M${message}\0\0`, 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(fields.length + 4);
  return Buffer.concat([Buffer.from('E'), len, fields]);
}
