import { sql, type Queryable } from '#shared/db/sql';
import { microsToDollars, type UsageRow } from '../domain/usage';
import type { UsageQuery, UsageReports } from '../ports/usage-reports';

/** Sums come back as int8 / numeric: a string on pg, a number or a string on the Data API. */
interface Row {
  key: string;
  /** By user only: the person's address (an erased person's rows have no user, and are summed apart). */
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

/**
 * The key of the line for erased users' usage: never a user id (a Cognito sub is a UUID, an app
 * client id 26 characters).
 */
export const ERASED_USERS_KEY = 'erased';

/** People per statement of the report by user: about 300 KB, within the Data API's 1 MiB a call. */
const USERS_PER_READ = 2000;

/**
 * Sums of usage_daily; the `day` index serves the range, sums stay exact (bigint micro-dollars).
 * By user, the people are read `usersPerRead` at a time in id order (an organisation of thousands
 * would pass the Data API's 1 MiB a call), then ordered by tokens used.
 */
export function postgresUsageReports(
  db: Queryable,
  options: { readonly usersPerRead?: number } = {},
): UsageReports {
  const usersPerRead = options.usersPerRead ?? USERS_PER_READ;
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
      const people: UsageRow[] = [];
      for (let after: string | null = null; ;) {
        const { rows }: { rows: Row[] } = await db.query<Row>(sql`
          select d.user_id as key, u.email as email, ${sums}
          from usage_daily d
          inner join users u on u.id = d.user_id
          where ${range} and (cast(${after} as text) is null or d.user_id > cast(${after} as text))
          group by d.user_id, u.email
          order by d.user_id
          limit ${usersPerRead}`);
        people.push(...rows.map(toUsageRow));
        const last: Row | undefined = rows.at(-1);
        if (rows.length < usersPerRead || !last) break;
        after = last.key;
      }
      people.sort((a, b) => b.totalTokens - a.totalTokens || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      // Erased people's usage stays (their rows' user set to null, migration 0020): one line for
      // all of them, after the people, so the report's totals still match what was charged.
      const { rows: erased } = await db.query<Row & { count: number | string }>(sql`
        select cast(${ERASED_USERS_KEY} as text) as key, count(*) as count, ${sums}
        from usage_daily d
        where ${range} and d.user_id is null`);
      const [anonymous] = erased;
      if (anonymous && Number(anonymous.count) > 0) people.push({ ...toUsageRow(anonymous), erased: true });
      return people;
    },
  };
}
