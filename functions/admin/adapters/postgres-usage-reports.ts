import { sql, type Kysely } from 'kysely';
import type { Database } from '#shared/db/schema';
import { microsToDollars, type UsageRow } from '../domain/usage';
import type { UsageQuery, UsageReports } from '../ports/usage-reports';

interface Row {
  key: string;
  /** By user only; every usage row has its user (foreign key, deleted with it). */
  email?: string;
  requests: number | string;
  prompt_tokens: number | string;
  completion_tokens: number | string;
  cost_micros: number | string;
}

const toUsageRow = (row: Row): UsageRow => {
  const promptTokens = Number(row.prompt_tokens);
  const completionTokens = Number(row.completion_tokens);
  return {
    key: row.key,
    ...(row.email === undefined ? {} : { email: row.email }),
    requests: Number(row.requests),
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    costUsd: microsToDollars(Number(row.cost_micros)),
  };
};

/** Sums of usage_daily; the `day` index serves the range, sums stay exact (bigint micro-dollars). */
export function postgresUsageReports(db: Kysely<Database>): UsageReports {
  return {
    async summarise({ from, to, groupBy }: UsageQuery) {
      const sums = [
        sql<string>`sum(d.requests)`.as('requests'),
        sql<string>`sum(d.prompt_tokens)`.as('prompt_tokens'),
        sql<string>`sum(d.completion_tokens)`.as('completion_tokens'),
        sql<string>`sum(d.cost_micros)`.as('cost_micros'),
      ];
      const base = db
        .selectFrom('usage_daily as d')
        .where(sql<boolean>`d.day between cast(${from} as date) and cast(${to} as date)`);
      if (groupBy === 'day') {
        const rows = await base
          .select([sql<string>`to_char(d.day, 'YYYY-MM-DD')`.as('key'), ...sums])
          .groupBy('d.day')
          .orderBy('d.day')
          .execute();
        return rows.map(toUsageRow);
      }
      const rows = await base
        .innerJoin('users as u', 'u.id', 'd.user_id')
        .select([sql<string>`d.user_id`.as('key'), sql<string>`u.email`.as('email'), ...sums])
        .groupBy(['d.user_id', 'u.email'])
        .orderBy(sql`sum(d.prompt_tokens + d.completion_tokens)`, 'desc')
        .orderBy('d.user_id')
        .execute();
      return rows.map(toUsageRow);
    },
  };
}
