/**
 * The query layer of the API functions: SQL written as SQL, in a tagged template whose values
 * are always bound as parameters, run by one of two drivers (node-postgres locally, the RDS Data
 * API on Lambda) behind one small interface. It replaces a query builder in the Lambda bundles,
 * where that builder was 147 KB of every function and ~10 ms of every cold start, and ~40 µs of
 * every query (docs/performance.md). Row types still come from `schema.ts`.
 *
 * - `sql\`select … where id = ${id}\`` never splices `id` into the text: each value becomes a
 *   placeholder (`$1` for pg, `:0` for the Data API) and a parameter.
 * - A `Sql` inside a template is a fragment: its text and values are spliced in order, which is
 *   how optional conditions are composed (`sql.empty` when absent, `sql.join` for lists).
 * - No identifier or raw text ever comes from a value: table and column names are written in the
 *   template's literal parts, which only the code can set.
 */

/** What a statement can bind. `Uint8Array` is bytea; a `Date` is a timestamp. */
export type SqlValue = string | number | boolean | null | Date | Uint8Array;

const pgPlaceholder = (index: number) => `$${index + 1}`;

/** A statement or a fragment of one: the template's literal parts and the values between them. */
export class Sql {
  /** `strings.length === values.length + 1`, as in a template. */
  readonly strings: readonly string[];
  readonly values: readonly SqlValue[];

  constructor(strings: readonly string[], values: readonly (SqlValue | Sql)[]) {
    if (strings.length !== values.length + 1)
      throw new TypeError('sql: a template has one more part than values');
    const parts: string[] = [strings[0] as string];
    const flat: SqlValue[] = [];
    values.forEach((value, i) => {
      const next = strings[i + 1] as string;
      if (value instanceof Sql) {
        // Splice the fragment: its first part joins our last, its last part joins our next.
        parts[parts.length - 1] += value.strings[0] as string;
        for (let j = 0; j < value.values.length; j += 1) {
          flat.push(value.values[j] as SqlValue);
          parts.push(value.strings[j + 1] as string);
        }
        parts[parts.length - 1] += next;
      } else {
        if (value === undefined) throw new TypeError(`sql: value ${i} is undefined (use null)`);
        flat.push(value);
        parts.push(next);
      }
    });
    this.strings = parts;
    this.values = flat;
  }

  /** The statement's text, the place of value `i` (from 0) written as `placeholder(i)`. */
  text(placeholder: (index: number) => string): string {
    let text = this.strings[0] as string;
    for (let i = 1; i < this.strings.length; i += 1) text += placeholder(i - 1) + (this.strings[i] as string);
    return text;
  }

  /** The statement for node-postgres: `$1`, `$2`… placeholders. */
  toPg(): { readonly text: string; readonly values: SqlValue[] } {
    return { text: this.text(pgPlaceholder), values: [...this.values] };
  }
}

interface SqlTag {
  (strings: TemplateStringsArray, ...values: (SqlValue | Sql)[]): Sql;
  /** Fragments joined by a separator (`, ` unless told): a column list, a VALUES list. */
  join(fragments: readonly Sql[], separator?: Sql): Sql;
  /** Nothing: the absent branch of an optional condition. */
  readonly empty: Sql;
}

const EMPTY = new Sql([''], []);

export const sql: SqlTag = Object.assign(
  (strings: TemplateStringsArray, ...values: (SqlValue | Sql)[]) => new Sql(strings, values),
  {
    join(fragments: readonly Sql[], separator: Sql = new Sql([', '], [])): Sql {
      if (fragments.length === 0) return EMPTY;
      const strings = [''];
      const values: Sql[] = [];
      fragments.forEach((fragment, i) => {
        if (i > 0) {
          values.push(separator);
          strings.push('');
        }
        values.push(fragment);
        strings.push('');
      });
      return new Sql(strings, values);
    },
    empty: EMPTY,
  },
);

/** PostgreSQL's exact text of a timestamp column in UTC with microseconds (what clients and cursors see). */
export function isoText(column: string): Sql {
  if (!/^[a-z_][a-z0-9_.]*$/.test(column)) throw new TypeError(`isoText: not a column name: ${column}`);
  return new Sql([`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`], []);
}

export interface QueryResult<Row> {
  readonly rows: Row[];
  /** Rows the statement inserted, updated, deleted or returned. */
  readonly rowCount: number;
}

/** Where statements run: the database, or one transaction of it. */
export interface Queryable {
  /**
   * Runs one statement. `Row` is what the caller states the statement returns (its select list);
   * the drivers decode timestamps to `Date`, json to values, and int8 to a number (Data API) or a
   * string (pg), as before: callers convert with `Number()`.
   */
  query<Row extends object = Record<string, unknown>>(statement: Sql): Promise<QueryResult<Row>>;
}

export interface SqlDatabase extends Queryable {
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Closes the pool (pg); nothing to close for the Data API. */
  destroy(): Promise<void>;
}

/** The first row, or undefined. */
export async function first<Row extends object>(db: Queryable, statement: Sql): Promise<Row | undefined> {
  return (await db.query<Row>(statement)).rows[0];
}

/** The first row; an error when there is none (an INSERT … RETURNING, which always returns one). */
export async function only<Row extends object>(db: Queryable, statement: Sql): Promise<Row> {
  const row = await first<Row>(db, statement);
  if (!row) throw new Error('the statement returned no row');
  return row;
}
