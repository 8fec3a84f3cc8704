import { sql, type Queryable } from '#shared/db/sql';
import { microsToDollars, type UsageRow } from '../domain/usage';
import type { UsageQuery, UsageReports } from '../ports/usage-reports';

/** Sums come back as int8 / numeric: a string on pg, a number or a string on the Data API. */
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

const sums = sql`sum(d.requests) as requests, sum(d.prompt_tokens) as prompt_tokens,
  sum(d.completion_tokens) as completion_tokens, sum(d.cost_micros) as cost_micros`;

/** Sums of usage_daily; the `day` index serves the range, sums stay exact (bigint micro-dollars). */
export function postgresUsageReports(db: Queryable): UsageReports {
  return {
    async summarise({ from, to, groupBy }: UsageQuery) {
      const range = sql`d.day between cast(${from} as date) and cast(${to} as date)`;
      if (groupBy === 'day') {
        const { rows } = await db.query<Row>(sql`
          select to_char(d.day, 'YYYY-MM-DD') as key, ${sums}
          from usage_daily d
          where ${range}
          group by d.day
          order by d.day`);
        return rows.map(toUsageRow);
      }
      const { rows } = await db.query<Row>(sql`
        select d.user_id as key, u.email as email, ${sums}
        from usage_daily d
        inner join users u on u.id = d.user_id
        where ${range}
        group by d.user_id, u.email
        order by sum(d.prompt_tokens + d.completion_tokens) desc, d.user_id`);
      return rows.map(toUsageRow);
    },
  };
}
