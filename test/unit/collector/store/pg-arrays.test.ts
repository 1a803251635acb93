// Array literals the PostgreSQL store builds itself (collector/store/postgres/arrays.ts): a real
// server must read them back as the values given, quotes, backslashes, braces and NULLs included.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numberArray, textArray } from '../../../../collector/store/postgres/arrays.js';
import { freshDatabase, pgSkipReason, type TestDatabase } from '../../../lab/pg.js';

const skip = pgSkipReason();

describe.skipIf(skip)(`PostgreSQL array literals${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let db: TestDatabase;
  let c: pg.Client;
  beforeAll(async () => {
    db = await freshDatabase();
    c = new pg.Client({ connectionString: db.url });
    await c.connect();
  });
  afterAll(async () => {
    await c.end();
    await db.drop();
  });

  it('reads back every text and number as given', async () => {
    const texts = ['10.0.0.1', 'a"b', 'back\\slash', '{x,y}', 'NULL', '', ' sp ', 'é', null, undefined];
    const { rows } = await c.query('SELECT $1::text[] AS t, $2::int[] AS i, $3::float8[] AS f', [
      textArray(texts),
      numberArray([1, 65535, null]),
      numberArray([0.3, 1e-7, 12345.678, null]),
    ]);
    expect(rows[0]).toEqual({
      t: texts.map((t) => t ?? null),
      i: [1, 65535, null],
      f: [0.3, 1e-7, 12345.678, null],
    });
  });
});
