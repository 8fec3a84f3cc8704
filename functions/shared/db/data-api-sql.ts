import type { DataApiClient, ExecuteStatementOutput, Field, SqlParameter } from '../aws/data-api-client';
import type { Queryable, QueryResult, Sql, SqlDatabase, SqlValue } from './sql';
import { setOwn } from '../own-property';

/** Which database a Data API call addresses. */
export interface DataApiTarget {
  readonly resourceArn: string;
  readonly secretArn: string;
  readonly database: string;
}

/** A `Date` as the Data API's TIMESTAMP text: `YYYY-MM-DD HH:MM:SS.mmm` (UTC). */
const timestampText = (date: Date): string => date.toISOString().replace('T', ' ').slice(0, 23);

/** One value as a Data API parameter (the encoding kysely-data-api used, which Aurora accepts). */
export function toParameter(name: string, value: SqlValue): SqlParameter {
  if (value === null) return { name, value: { isNull: true } };
  switch (typeof value) {
    case 'string':
      return { name, value: { stringValue: value } };
    case 'boolean':
      return { name, value: { booleanValue: value } };
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`sql: parameter ${name} is not a finite number`);
      return { name, value: Number.isInteger(value) ? { longValue: value } : { doubleValue: value } };
    default:
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw new TypeError(`sql: parameter ${name} is an invalid date`);
        return { name, typeHint: 'TIMESTAMP', value: { stringValue: timestampText(value) } };
      }
      return { name, value: { blobValue: value } };
  }
}

const dataApiPlaceholder = (index: number) => `:${index}`;

/** The statement for the Data API: `:0`, `:1`… placeholders, each a named parameter. */
export function toDataApiStatement(statement: Sql): { sql: string; parameters: SqlParameter[] } {
  return {
    sql: statement.text(dataApiPlaceholder),
    parameters: statement.values.map((value, i) => toParameter(String(i), value)),
  };
}

function fieldValue(field: Field): unknown {
  if (field.isNull) return null;
  if (field.stringValue !== undefined) return field.stringValue;
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.longValue !== undefined) return field.longValue;
  if (field.booleanValue !== undefined) return field.booleanValue;
  if (field.arrayValue !== undefined) return arrayValue(field.arrayValue);
  return field.blobValue ?? null;
}

function arrayValue(value: NonNullable<Field['arrayValue']>): unknown[] | undefined {
  return (
    value.stringValues ??
    value.doubleValues ??
    value.longValues ??
    value.booleanValues ??
    value.arrayValues?.map((inner) => (inner ? arrayValue(inner) : null))
  );
}

/**
 * The service's records as rows keyed by column label, decoded as node-postgres decodes them
 * where it matters to callers: timestamps as `Date` (the service sends UTC text without an
 * offset), json and jsonb parsed.
 */
export function toRows<Row>(output: ExecuteStatementOutput): Row[] {
  const columns = output.columnMetadata ?? [];
  return (output.records ?? [])
    .filter((record) => record.length > 0)
    .map((record) => {
      const row: Record<string, unknown> = {};
      record.forEach((field, i) => {
        const column = columns[i];
        const key = column?.label || column?.name || String(i);
        let value = fieldValue(field);
        const type = column?.typeName?.toLowerCase();
        if (typeof value === 'string' && type) {
          if (type === 'timestamp' || type === 'timestamptz') value = new Date(`${value.replace(' ', 'T')}Z`);
          else if (type === 'json' || type === 'jsonb') value = JSON.parse(value);
        }
        // Own data properties only: a column labelled __proto__ stays a column.
        setOwn(row, key, value);
      });
      return row as Row;
    });
}

/** Statements through the RDS Data API (the Lambda functions' driver), on our own client. */
export function dataApiDatabase(client: DataApiClient, target: DataApiTarget): SqlDatabase {
  const run = async <Row>(statement: Sql, transactionId?: string): Promise<QueryResult<Row>> => {
    const output = await client.executeStatement({
      ...toDataApiStatement(statement),
      resourceArn: target.resourceArn,
      secretArn: target.secretArn,
      database: target.database,
      includeResultMetadata: true,
      ...(transactionId ? { transactionId } : {}),
    });
    if (!output.columnMetadata || output.columnMetadata.length === 0)
      return { rows: [], rowCount: output.numberOfRecordsUpdated ?? 0 };
    const rows = toRows<Row>(output);
    return { rows, rowCount: rows.length };
  };
  const arns = { resourceArn: target.resourceArn, secretArn: target.secretArn };
  return {
    query: (statement) => run(statement),
    async transaction(work) {
      const { transactionId } = await client.beginTransaction({ ...arns, database: target.database });
      if (!transactionId) throw new Error('the Data API began a transaction without an id');
      const tx: Queryable = { query: (statement) => run(statement, transactionId) };
      let result;
      try {
        result = await work(tx);
      } catch (error) {
        await client.rollbackTransaction({ ...arns, transactionId }).catch(() => undefined);
        throw error;
      }
      await client.commitTransaction({ ...arns, transactionId });
      return result;
    },
    destroy: async () => undefined,
  };
}
