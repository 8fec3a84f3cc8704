/**
 * Message list, search and export latency as the database grows: 10,000 messages, then
 * 1,000,000 (BENCH_SCALE_MESSAGES), spread over many users and conversations, the measured user
 * owning 2,000 messages in 100 conversations at both sizes. Each operation is timed through the
 * conversations lambda (functions/conversations/lambda.ts, the whole middleware stack, called with
 * the REST proxy event) and through the repository alone (postgresMessages), on a scratch
 * database generated with INSERT … SELECT … FROM generate_series: Zipf-distributed pseudo-words,
 * so full-text search meets common, middling and rare terms as it would in real text.
 * At the largest size the repository's own SQL (as the driver receives it) is explained with
 * EXPLAIN (ANALYZE, BUFFERS), and candidate indexes are tried on the scratch database only.
 *
 * Skipped with BENCH_SCALE=0. Run alone: node --import tsx bench/data-scale.ts
 */
import './quiet';
import pg from 'pg';
import { installLambdaStreamingGlobals } from '../bin/local/streaming';
import { pgDatabase } from '#shared/db/pg-sql';
import type { Queryable, Sql, SqlDatabase } from '#shared/db/sql';
import {
  createScratchDatabase,
  invoke,
  invokeStreamed,
  memberToken,
  printTable,
  round,
  roundSummary,
  setUpBenchEnvironment,
  summarize,
  timed,
  type ScratchDatabase,
  type Summary,
} from './support';

const MEASURED_USER = 'bench-measured';
/** Every filler user owns 10 conversations of 20 messages. */
const FILLER_MESSAGES_PER_USER = 200;
const MEASURED_CONVERSATIONS = 100;
const MESSAGES_PER_CONVERSATION = 20;
const VOCABULARY = 20_000;
const SENTENCES = 20_000;

export interface DataScaleOptions {
  /** @default [10_000, BENCH_SCALE_MESSAGES or 1_000_000] */
  readonly sizes?: readonly number[];
  /** Calls per operation and size. @default 50 */
  readonly calls?: number;
  /** Time budget of each measuring loop. @default 30 s */
  readonly budgetMs?: number;
}

type Path = 'lambda' | 'repository';

export interface SizeResult {
  readonly messages: number;
  /** Seconds to reach this size from the previous one (generation, indexes, ANALYZE). */
  readonly loadSeconds: number;
  /** Per operation, per path: latency in ms. */
  readonly operations: Record<string, Record<Path, Summary>>;
  /** Search hits: the measured user's and everyone's, per search term. */
  readonly searchHits: Record<string, { user: number; all: number }>;
}

export interface Candidate {
  readonly name: string;
  readonly ddl: string;
  readonly buildSeconds: number;
  readonly operations: Record<string, Summary>;
  readonly plans: Record<string, string>;
}

export interface DataScaleResult {
  readonly sizes: readonly SizeResult[];
  /** p50 at the largest size over p50 at the smallest, per operation and path. */
  readonly growth: Record<string, Record<Path, number>>;
  /** EXPLAIN (ANALYZE, BUFFERS) of the repository's SQL at the largest size. */
  readonly plans: Record<string, string>;
  readonly candidates: readonly Candidate[];
}

const SYLLABLES = [
  'ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'ba', 'de', 'fi', 'go', 'hu', 'ja', 'ke', 'li',
  'mo', 'nu', 'pa', 'qui', 'ra', 'se', 'to', 'ul', 've', 'wa', 'xi', 'yo', 'zu', 'bra', 'cle', 'dri',
  'fla', 'gro', 'pla', 'sta', 'tre', 'spo', 'chi',
]; // prettier-ignore

/** The vocabulary (Zipf: rank r drawn with probability ∝ 1/r) and sentences built from it. */
async function createCorpus(client: pg.Client): Promise<void> {
  const syllables = `array[${SYLLABLES.map((s) => `'${s}'`).join(',')}]`;
  await client.query(`
    create unlogged table bench_words as
    select i as id,
           (${syllables})[1 + i % 40] || (${syllables})[1 + (i / 40) % 40] ||
           case when i >= 1600 then (${syllables})[1 + (i / 1600) % 40] else '' end as word
    from generate_series(0, ${VOCABULARY - 1}) i`);
  await client.query('create unique index on bench_words (id)');
  await client.query(`
    create unlogged table bench_sentences as
    select s as id, string_agg(w.word, ' ' order by x.g) as text
    from generate_series(1, ${SENTENCES}) s
    cross join lateral (
      select g, least(${VOCABULARY - 1}, floor(exp(random() * ln(${VOCABULARY})))::int - 1) as rank
      from generate_series(1, 6 + s % 15) g
    ) x
    join bench_words w on w.id = x.rank
    group by s`);
  await client.query('create unique index on bench_sentences (id)');
  await client.query('analyze bench_words; analyze bench_sentences');
}

/**
 * Users `owner(u)` for u in [from, to], each with `conversations` conversations of 20 messages:
 * user messages of one sentence, assistant replies of three, a minute apart, over the past year.
 */
async function loadUsers(
  client: pg.Client,
  users: { from: number; to: number; owner: string; conversations: number; seqOffset: number },
): Promise<void> {
  const owner = users.owner;
  await client.query(
    `insert into users (id, email, display_name, role, monthly_token_quota)
     select ${owner}, ${owner} || '@example.test', 'Bench ' || u, 'members', 2000000000
     from generate_series($1::int, $2::int) u`,
    [users.from, users.to],
  );
  await client.query('drop table if exists bench_plan');
  await client.query(
    `create temp table bench_plan as
     select gen_random_uuid() as id, ${owner} as owner, ($3::bigint + u::bigint * $4 + c) as seq,
            now() - ((u * $4 + c) % 365) * interval '1 day' - c * interval '1 hour' as start
     from generate_series($1::int, $2::int) u, generate_series(0, $4 - 1) c`,
    [users.from, users.to, users.seqOffset, users.conversations],
  );
  await client.query(
    `insert into conversations (id, owner_id, title, message_count, created_at, updated_at)
     select id, owner, 'Conversation ' || seq, ${MESSAGES_PER_CONVERSATION}, start,
            start + interval '${MESSAGES_PER_CONVERSATION} minutes'
     from bench_plan`,
  );
  await client.query(
    `insert into messages (conversation_id, owner_id, role, content, status, model, prompt_tokens,
                           completion_tokens, created_at, updated_at)
     select p.id, p.owner, case when g % 2 = 0 then 'user' else 'assistant' end,
            case when g % 2 = 0 then s1.text else s1.text || '. ' || s2.text || '. ' || s3.text end,
            'complete', case when g % 2 = 1 then 'gpt-4o-mini' end,
            case when g % 2 = 1 then 40 + g * 30 else 0 end, case when g % 2 = 1 then 60 else 0 end,
            p.start + g * interval '1 minute', p.start + g * interval '1 minute'
     from bench_plan p
     cross join generate_series(0, ${MESSAGES_PER_CONVERSATION - 1}) g
     join bench_sentences s1 on s1.id = 1 + ((p.seq * 20 + g) * 7919) % ${SENTENCES}
     join bench_sentences s2 on s2.id = 1 + ((p.seq * 20 + g) * 104729 + 7) % ${SENTENCES}
     join bench_sentences s3 on s3.id = 1 + ((p.seq * 20 + g) * 15485863 + 13) % ${SENTENCES}`,
  );
}

const MESSAGE_INDEXES = ['messages_content_tsv_idx', 'messages_conversation_created_idx'];

/**
 * Adds filler users until the table holds `target` messages. A large step drops the secondary
 * indexes of messages and builds them again afterwards (the same definitions: a bulk load's usual
 * shortcut), then ANALYZE.
 */
async function growTo(client: pg.Client, target: number, nextUser: number): Promise<number> {
  const current = Number((await client.query('select count(*) as n from messages')).rows[0].n);
  const users = Math.floor((target - current) / FILLER_MESSAGES_PER_USER);
  if (users <= 0) return nextUser;
  const bulk = users * FILLER_MESSAGES_PER_USER >= 100_000;
  const definitions: string[] = [];
  if (bulk) {
    const { rows } = await client.query<{ indexdef: string; indexname: string }>(
      `select indexname, indexdef from pg_indexes where tablename = 'messages' and indexname = any($1)`,
      [MESSAGE_INDEXES],
    );
    for (const row of rows) {
      definitions.push(row.indexdef);
      await client.query(`drop index ${client.escapeIdentifier(row.indexname)}`);
    }
  }
  // A batch at a time: each statement stays short and the temporary plan small.
  const batch = 500;
  for (let from = nextUser; from < nextUser + users; from += batch) {
    const to = Math.min(nextUser + users - 1, from + batch - 1);
    await loadUsers(client, {
      from,
      to,
      owner: `'bench-u-' || u`,
      conversations: FILLER_MESSAGES_PER_USER / MESSAGES_PER_CONVERSATION,
      seqOffset: 0,
    });
  }
  for (const definition of definitions) await client.query(definition);
  await client.query('vacuum analyze messages');
  await client.query('vacuum analyze conversations');
  await client.query('analyze users');
  return nextUser + users;
}

interface Measured {
  readonly conversationIds: string[];
  readonly terms: Record<string, string>;
}

async function measuredUser(client: pg.Client): Promise<Measured> {
  await loadUsers(client, {
    from: 1,
    to: 1,
    owner: `'${MEASURED_USER}'`,
    conversations: MEASURED_CONVERSATIONS,
    seqOffset: 10_000_000,
  });
  const { rows } = await client.query<{ id: string }>(
    'select id from conversations where owner_id = $1 order by id',
    [MEASURED_USER],
  );
  // Zipf ranks: 1 (in most messages), 100 (a few percent), 1,000 (a handful).
  const words = await client.query<{ id: number; word: string }>(
    'select id, word from bench_words where id in (0, 99, 999) order by id',
  );
  const [common, middling, rare] = words.rows.map((r) => r.word);
  return {
    conversationIds: rows.map((r) => r.id),
    terms: { common: common ?? '', middling: middling ?? '', rare: rare ?? '' },
  };
}

async function searchHits(client: pg.Client, terms: Record<string, string>) {
  const hits: Record<string, { user: number; all: number }> = {};
  for (const [name, term] of Object.entries(terms)) {
    const { rows } = await client.query<{ user: string; all: string }>(
      `select count(*) filter (where owner_id = $2) as user, count(*) as all
       from messages where content_tsv @@ websearch_to_tsquery('simple', $1)`,
      [term, MEASURED_USER],
    );
    hits[name] = { user: Number(rows[0]?.user ?? 0), all: Number(rows[0]?.all ?? 0) };
  }
  return hits;
}

/** An export read to its end (its pages are read only as they are consumed); the messages read. */
async function readExport(
  exported: Promise<{ readonly pages: AsyncIterable<readonly unknown[]> } | undefined>,
): Promise<number> {
  let messages = 0;
  for await (const page of (await exported)?.pages ?? []) messages += page.length;
  return messages;
}

export async function dataScale(options: DataScaleOptions = {}): Promise<DataScaleResult> {
  const largest = Number(process.env.BENCH_SCALE_MESSAGES ?? 1_000_000);
  const sizes = options.sizes ?? [10_000, largest];
  const calls = options.calls ?? 50;
  const budgetMs = options.budgetMs ?? 30_000;
  const scratch: ScratchDatabase = await createScratchDatabase('parley_bench_scale');
  const client = new pg.Client({ connectionString: scratch.url });
  await client.connect();
  const captured: { text: string; values: unknown[] }[] = [];
  const plain = pgDatabase(async () => new pg.Pool({ connectionString: scratch.url, max: 2 }));
  /** Every statement on `db` noted, as node-postgres receives it. */
  const noting = (db: Queryable): Queryable => ({
    query: (statement: Sql) => {
      captured.push(statement.toPg());
      return db.query(statement);
    },
  });
  const logged: SqlDatabase = {
    ...noting(plain),
    transaction: (work) => plain.transaction((tx) => work(noting(tx))),
    destroy: () => plain.destroy(),
  };
  try {
    await client.query("set maintenance_work_mem = '256MB'");
    let started = performance.now();
    await createCorpus(client);
    const measured = await measuredUser(client);

    const issuer = setUpBenchEnvironment(scratch.url, { DB_POOL_MAX: '4' });
    const token = memberToken(issuer, MEASURED_USER);
    const { handler } = await import('#conversations/lambda');
    // The exports function streams; its module needs the runtime's globals when it loads.
    installLambdaStreamingGlobals();
    const exports = (await import('#exports/lambda')).handler;
    const { closeDatabase } = await import('#shared/db/database');
    const { getSql } = await import('#shared/db/sql-database');
    const { postgresMessages } = await import('#chat/adapters/postgres-message-repository');
    const repo = postgresMessages(getSql());
    const conversation = (i: number) =>
      measured.conversationIds[Math.abs(i) % measured.conversationIds.length] ?? '';
    const loop = { count: calls, budgetMs, warmup: 5 };

    /** The JSON export through the exports function, with `headers`, against the repository's read. */
    const exportOperation = (headers: Record<string, string>) => ({
      lambda: async () => (i: number) =>
        invokeStreamed(exports, {
          method: 'GET',
          path: `/api/conversations/${conversation(i)}/export`,
          token,
          query: { format: 'json' },
          headers,
        }),
      repository: async () => (i: number) =>
        readExport(repo.exportConversation(MEASURED_USER, conversation(i))),
    });
    const operations: Record<string, Record<Path, () => Promise<(i: number) => Promise<unknown>>>> = {
      list: {
        lambda: async () => (i) =>
          invoke(handler, {
            method: 'GET',
            path: `/api/conversations/${conversation(i)}/messages`,
            token,
          }),
        repository: async () => (i) => repo.list(MEASURED_USER, conversation(i), { limit: 50 }),
      },
      ...Object.fromEntries(
        Object.entries(measured.terms).map(([name, term]) => [
          `search (${name} term)`,
          {
            lambda: async () => () =>
              invoke(handler, { method: 'GET', path: '/api/search', token, query: { q: term } }),
            repository: async () => () => repo.search(MEASURED_USER, { q: term, limit: 20 }),
          },
        ]),
      ),
      export: exportOperation({}),
      // As browsers ask for it: the same download, gzip-compressed as it is written.
      'export (gzip)': exportOperation({ 'Accept-Encoding': 'gzip' }),
    };

    const measureAll = async () => {
      const result: Record<string, Record<Path, Summary>> = {};
      for (const [name, paths] of Object.entries(operations)) {
        result[name] = {
          lambda: roundSummary(summarize(await timed(loop, await paths.lambda()))),
          repository: roundSummary(summarize(await timed(loop, await paths.repository()))),
        };
      }
      return result;
    };

    const results: SizeResult[] = [];
    let nextUser = 1;
    for (const size of sizes) {
      if (results.length > 0) started = performance.now();
      nextUser = await growTo(client, size, nextUser);
      const count = Number((await client.query('select count(*) as n from messages')).rows[0].n);
      const loadSeconds = round((performance.now() - started) / 1000, 1);
      // Progress on stderr: bench/run.ts collects stdout until the section ends.
      console.error(`  data scale: ${count} messages loaded in ${loadSeconds} s; measuring…`);
      results.push({
        messages: count,
        loadSeconds,
        operations: await measureAll(),
        searchHits: await searchHits(client, measured.terms),
      });
    }

    // The repository's own SQL, as the driver receives it, explained at the largest size.
    const loggedRepo = postgresMessages(logged);
    const explainable: Record<string, () => Promise<unknown>> = {
      list: () => loggedRepo.list(MEASURED_USER, conversation(0), { limit: 50 }),
      ...Object.fromEntries(
        Object.entries(measured.terms).map(([name, term]) => [
          `search (${name} term)`,
          () => loggedRepo.search(MEASURED_USER, { q: term, limit: 20 }),
        ]),
      ),
      export: () => readExport(loggedRepo.exportConversation(MEASURED_USER, conversation(0))),
    };
    const explainAll = async () => {
      const plans: Record<string, string> = {};
      for (const [name, run] of Object.entries(explainable)) {
        captured.length = 0;
        await run();
        // The last statement is the one that reads messages (the first checks ownership).
        const query = captured.at(-1);
        if (!query) continue;
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(
          `explain (analyze, buffers) ${query.text}`,
          query.values,
        );
        plans[name] = `${query.text}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`;
      }
      return plans;
    };
    const plans = await explainAll();

    // Candidate indexes, on this scratch database only: each is built, measured, then dropped.
    const searchOnly = Object.entries(operations).filter(([name]) => name.startsWith('search'));
    const candidateDdl: { name: string; ddl: string[]; drop: string[] }[] = [
      {
        name: 'btree (owner_id, created_at)',
        ddl: ['create index bench_messages_owner_idx on messages (owner_id, created_at)'],
        drop: ['drop index bench_messages_owner_idx'],
      },
      {
        name: 'btree_gin (owner_id, content_tsv)',
        ddl: [
          'create extension if not exists btree_gin',
          'create index bench_messages_owner_tsv_idx on messages using gin (owner_id, content_tsv)',
        ],
        drop: ['drop index bench_messages_owner_tsv_idx'],
      },
    ];
    const candidates: Candidate[] = [];
    if (process.env.BENCH_SCALE_CANDIDATES !== '0') {
      for (const candidate of candidateDdl) {
        const built = performance.now();
        for (const statement of candidate.ddl) await client.query(statement);
        await client.query('analyze messages');
        const buildSeconds = round((performance.now() - built) / 1000, 1);
        const measuredOps: Record<string, Summary> = {};
        for (const [name, paths] of searchOnly)
          measuredOps[name] = roundSummary(summarize(await timed(loop, await paths.repository())));
        const candidatePlans = await explainAll();
        candidates.push({
          name: candidate.name,
          ddl: candidate.ddl.join(';\n'),
          buildSeconds,
          operations: measuredOps,
          plans: Object.fromEntries(
            Object.entries(candidatePlans).filter(([name]) => name.startsWith('search')),
          ),
        });
        for (const statement of candidate.drop) await client.query(statement);
      }
    }

    await closeDatabase();
    const first = results[0];
    const last = results.at(-1);
    const growth: Record<string, Record<Path, number>> = {};
    if (first && last)
      for (const name of Object.keys(first.operations)) {
        const ratio = (path: Path) =>
          round((last.operations[name]?.[path].p50 ?? NaN) / (first.operations[name]?.[path].p50 ?? NaN));
        growth[name] = { lambda: ratio('lambda'), repository: ratio('repository') };
      }
    return { sizes: results, growth, plans, candidates };
  } finally {
    await logged.destroy();
    await client.end();
    const { closeDatabase } = await import('#shared/db/database');
    const { closeCache } = await import('#shared/cache/get-cache');
    await closeDatabase();
    // The handlers may have opened the cache (REDIS_URL): an open connection keeps Node running.
    await closeCache().catch(() => undefined);
    await scratch.drop();
  }
}

/** The lines of a plan that say how rows are found, and the totals. */
export function trimPlan(plan: string): string {
  return plan
    .split('\n')
    .filter(
      (line) =>
        /(Scan|Join|Nested Loop|Hash|Sort|Limit|Bitmap|Index Cond|Recheck|Filter|Rows Removed|Buffers|Execution Time|Planning Time|Heap Blocks)/.test(
          line,
        ) && !/^\s*(select|from|where|order)/i.test(line),
    )
    .join('\n');
}

export function printDataScale(result: DataScaleResult): void {
  const first = result.sizes[0];
  const last = result.sizes.at(-1);
  if (!first || !last) return;
  console.log(
    `\nData scale: list, search and export for a user with 2,000 messages (ms; lambda = the route's lambda (conversations, exports), repo = postgresMessages)`,
  );
  const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
  const a = label(first.messages);
  const b = label(last.messages);
  printTable(
    [
      'operation',
      `lambda p50 ${a}`,
      `p95 ${a}`,
      `lambda p50 ${b}`,
      `p95 ${b}`,
      `×`,
      `repo p50 ${a}`,
      `repo p50 ${b}`,
      `×`,
    ],
    Object.keys(first.operations).map((name) => [
      name,
      first.operations[name]?.lambda.p50 ?? NaN,
      first.operations[name]?.lambda.p95 ?? NaN,
      last.operations[name]?.lambda.p50 ?? NaN,
      last.operations[name]?.lambda.p95 ?? NaN,
      result.growth[name]?.lambda ?? NaN,
      first.operations[name]?.repository.p50 ?? NaN,
      last.operations[name]?.repository.p50 ?? NaN,
      result.growth[name]?.repository ?? NaN,
    ]),
  );
  console.log(`  growth target: at most 2× from ${a} to ${b} messages`);
  for (const size of result.sizes)
    console.log(
      `  ${label(size.messages)}: loaded in ${size.loadSeconds} s; search hits (user/all): ${Object.entries(
        size.searchHits,
      )
        .map(([name, h]) => `${name} ${h.user}/${h.all}`)
        .join(', ')}`,
    );
  if (result.candidates.length) {
    console.log(`\nCandidate indexes at ${b} (scratch database only; repository search p50/p95, ms)`);
    printTable(
      ['index', 'build s', ...Object.keys(result.candidates[0]?.operations ?? {})],
      result.candidates.map((c) => [
        c.name,
        c.buildSeconds,
        ...Object.values(c.operations).map((s) => `${s.p50.toFixed(2)} / ${s.p95.toFixed(2)}`),
      ]),
    );
  }
  console.log(`\nPlans at ${b} (EXPLAIN (ANALYZE, BUFFERS), trimmed)`);
  for (const [name, plan] of Object.entries(result.plans)) console.log(`-- ${name}\n${trimPlan(plan)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await dataScale();
  printDataScale(result);
  console.log(JSON.stringify({ bench: 'data-scale', ...result }));
}
