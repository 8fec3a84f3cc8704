import { describe, expect, it } from 'vitest';
import { toDataApiStatement, toParameter, toRows } from './data-api-sql';
import { isoText, Sql, sql } from './sql';

describe('sql', () => {
  it('binds every value as a parameter, never as text', () => {
    // Prepare
    const hostile = "x'); drop table users; --";

    // Act
    const statement = sql`select id from users where email = ${hostile} and role = ${'members'}`;

    // Assess
    expect(statement.toPg()).toEqual({
      text: 'select id from users where email = $1 and role = $2',
      values: [hostile, 'members'],
    });
    expect(toDataApiStatement(statement)).toEqual({
      sql: 'select id from users where email = :0 and role = :1',
      parameters: [
        { name: '0', value: { stringValue: hostile } },
        { name: '1', value: { stringValue: 'members' } },
      ],
    });
  });

  it('splices fragments in order, numbering their values after the ones before', () => {
    const q = 'plans';
    const statement = sql`select 1 from t where a = ${1} ${q ? sql`and b ilike ${`%${q}%`} and c = ${true}` : sql.empty} limit ${5}`;

    expect(statement.toPg()).toEqual({
      text: 'select 1 from t where a = $1 and b ilike $2 and c = $3 limit $4',
      values: [1, '%plans%', true, 5],
    });
    expect(sql`select 1 ${sql.empty}where ${sql`${sql`x = ${2}`}`}`.toPg()).toEqual({
      text: 'select 1 where x = $1',
      values: [2],
    });
  });

  it("writes each value's place as the driver asks, counting from 0, fragments included", () => {
    const statement = sql`select ${'a'} from t where ${sql`x = ${1} and y = ${2}`}`;
    expect(statement.text((i) => `?${i}`)).toBe('select ?0 from t where x = ?1 and y = ?2');
    expect(sql`select 1`.text(() => 'never')).toBe('select 1');
  });

  it('joins fragments with a separator', () => {
    const rows = [sql`(${'a'}, ${1})`, sql`(${'b'}, ${2})`];
    expect(sql`insert into t (k, v) values ${sql.join(rows)}`.toPg()).toEqual({
      text: 'insert into t (k, v) values ($1, $2), ($3, $4)',
      values: ['a', 1, 'b', 2],
    });
    expect(sql.join([sql`a`, sql`b`], sql` or `).toPg().text).toBe('a or b');
    expect(sql.join([]).toPg()).toEqual({ text: '', values: [] });
  });

  it('refuses undefined, which would bind nothing', () => {
    const missing = undefined as unknown as string;
    expect(() => sql`select ${missing}`).toThrow('sql: value 0 is undefined (use null)');
    expect(() => new Sql(['a', 'b'], [])).toThrow(TypeError);
  });

  it('makes isoText of a column name only', () => {
    expect(sql`select ${isoText('created_at')} as t`.toPg().text).toBe(
      `select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as t`,
    );
    expect(() => isoText("created_at'); drop table users; --")).toThrow('not a column name');
  });
});

describe('Data API parameters', () => {
  it('encodes each kind of value as the service takes it', () => {
    expect(toParameter('0', null)).toEqual({ name: '0', value: { isNull: true } });
    expect(toParameter('0', 'a\u0000b')).toEqual({ name: '0', value: { stringValue: 'a\u0000b' } });
    expect(toParameter('0', false)).toEqual({ name: '0', value: { booleanValue: false } });
    expect(toParameter('0', 42)).toEqual({ name: '0', value: { longValue: 42 } });
    expect(toParameter('0', 0.5)).toEqual({ name: '0', value: { doubleValue: 0.5 } });
    expect(toParameter('0', new Date('2026-03-01T10:20:30.456Z'))).toEqual({
      name: '0',
      typeHint: 'TIMESTAMP',
      value: { stringValue: '2026-03-01 10:20:30.456' },
    });
    const bytes = new Uint8Array([0, 1, 255]);
    expect(toParameter('0', bytes)).toEqual({ name: '0', value: { blobValue: bytes } });
  });

  it('refuses values the service would misread', () => {
    expect(() => toParameter('3', Number.NaN)).toThrow('parameter 3 is not a finite number');
    expect(() => toParameter('3', Number.POSITIVE_INFINITY)).toThrow('not a finite number');
    expect(() => toParameter('4', new Date('2026-02-30 nonsense'))).toThrow('parameter 4 is an invalid date');
  });
});

describe('Data API rows', () => {
  it('keys rows by label and decodes timestamps, json and arrays', () => {
    const rows = toRows<Record<string, unknown>>({
      $metadata: {},
      columnMetadata: [
        { name: 'id', label: 'id', typeName: 'uuid' },
        { name: 'n', label: 'n', typeName: 'int8' },
        { name: 'at', label: 'at', typeName: 'timestamptz' },
        { name: 'plain', label: 'plain', typeName: 'timestamp' },
        { name: 'details', label: 'details', typeName: 'jsonb' },
        { name: 'day', label: 'day', typeName: 'date' },
        { name: 'tags', label: 'tags', typeName: '_text' },
        { name: 'gone', label: 'gone', typeName: 'text' },
        { name: 'ok', label: 'ok', typeName: 'bool' },
      ],
      records: [
        [
          { stringValue: '6f1c2b8e-0000-4000-8000-000000000001' },
          { longValue: 12 },
          { stringValue: '2026-03-01 10:20:30.123456' },
          { stringValue: '2026-03-01 10:20:30' },
          { stringValue: '{"a":[1,"<b>"]}' },
          { stringValue: '2026-03-01' },
          { arrayValue: { stringValues: ['x', 'y'] } },
          { isNull: true },
          { booleanValue: false },
        ],
        [],
      ],
    });

    expect(rows).toEqual([
      {
        id: '6f1c2b8e-0000-4000-8000-000000000001',
        n: 12,
        at: new Date('2026-03-01T10:20:30.123Z'),
        plain: new Date('2026-03-01T10:20:30Z'),
        details: { a: [1, '<b>'] },
        day: '2026-03-01',
        tags: ['x', 'y'],
        gone: null,
        ok: false,
      },
    ]);
  });

  it('keeps a column labelled __proto__ as data, never as the prototype', () => {
    const [row] = toRows<Record<string, unknown>>({
      $metadata: {},
      columnMetadata: [{ label: '__proto__', typeName: 'text' }, { name: 'constructor' }],
      records: [[{ stringValue: 'polluted' }, { longValue: 1 }]],
    });

    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row ?? {})).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
