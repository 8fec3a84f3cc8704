/**
 * Time to first byte that the chat route adds to the model's own.
 *
 * The fake OpenAI server (test/support/fake-openai.ts) answers with a fixed first-token delay.
 * Each iteration measures, back to back:
 *  (a) the model alone: the official `openai` client streaming from the fake server, request to
 *      the first content delta;
 *  (b) the whole route: the chat lambda (functions/chat/lambda.ts, the streaming handler) served
 *      over real HTTP as bin/local does, configured against the same fake server, on a scratch
 *      PostgreSQL database (and Redis when REDIS_URL is set); request to the `event: message`
 *      frame (the first byte of the body) and to the first `event: delta` frame.
 * The added time is b − a per iteration (each send goes to a fresh conversation). Then the
 * route's own I/O steps are timed alone, to say where the added time goes.
 *
 * Run alone: node --import tsx bench/chat-latency.ts
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import {
  installLambdaStreamingGlobals,
  invokeStreaming,
  type StreamingHandler,
} from '../bin/local/streaming';
import { lambdaContext } from '../bin/local/gateway';
import { startFakeOpenAI, type FakeOpenAI } from '../test/support/fake-openai';
import {
  benchRedisUrl,
  createScratchDatabase,
  printTable,
  proxyEvent,
  round,
  roundSummary,
  setUpBenchEnvironment,
  summarize,
  timed,
  bounded,
  memberToken,
  type ScratchDatabase,
  type Summary,
} from './support';

// The Lambda runtime provides these globals; the streaming lambda module needs them when it loads.
installLambdaStreamingGlobals();

export interface ChatLatencyOptions {
  /** Sends per first-token delay. @default 100 (BENCH_CHAT_SENDS) */
  readonly sends?: number;
  /** First-token delays of the fake model, in ms. @default [0, 50] */
  readonly firstTokenDelaysMs?: readonly number[];
  /** Time budget of each measuring loop. @default 60 s */
  readonly budgetMs?: number;
}

export interface DelayResult {
  readonly firstTokenDelayMs: number;
  /** (a) the model alone: request to first content delta. */
  readonly direct: Summary;
  /** (b) the route: request to the `message` frame (first byte of the body). */
  readonly routeFirstByte: Summary;
  /** (b) the route: request to the first `delta` frame. */
  readonly routeFirstDelta: Summary;
  /** b − a per iteration, to the first delta. */
  readonly addedToFirstDelta: Summary;
}

export interface ChatLatencyResult {
  readonly cache: 'redis' | 'memory';
  readonly delays: readonly DelayResult[];
  /** The route's I/O steps alone, p50/p95 in ms. */
  readonly steps: Record<string, Summary>;
}

const CONTENT = 'What is the capital of France, and why is it called that?';

export async function chatLatency(options: ChatLatencyOptions = {}): Promise<ChatLatencyResult> {
  const sends = options.sends ?? Number(process.env.BENCH_CHAT_SENDS ?? 100);
  const delays = options.firstTokenDelaysMs ?? [0, 50];
  const budgetMs = options.budgetMs ?? 60_000;
  const scratch: ScratchDatabase = await createScratchDatabase('parley_bench_chat');
  const openai: FakeOpenAI = await startFakeOpenAI({ apiKey: 'sk-bench' });
  const server = createServer();
  try {
    const issuer = setUpBenchEnvironment(scratch.url, {
      OPENAI_API_KEY: 'sk-bench',
      OPENAI_BASE_URL: openai.baseURL,
      OPENAI_MODELS: 'gpt-4o-mini',
      OPENAI_FIRST_TOKEN_TIMEOUT_MS: '5000',
      OPENAI_IDLE_TIMEOUT_MS: '5000',
      OPENAI_TOTAL_TIMEOUT_MS: '20000',
      OPENAI_MAX_ATTEMPTS: '1',
      OPENAI_CIRCUIT_FAILURES: '100',
      CHAT_RATE_LIMIT_PER_MINUTE: '10000',
      DB_POOL_MAX: '10',
    });
    const { handler } = await import('#chat/lambda');
    const { getDatabase } = await import('#shared/db/database');
    const { DEFAULT_TITLE } = await import('#conversations/domain/conversation');
    const db = getDatabase();

    const userId = randomUUID();
    await db
      .insertInto('users')
      .values({
        id: userId,
        email: `bench-${userId}@example.test`,
        display_name: 'Bench user',
        role: 'members',
        monthly_token_quota: 2_000_000_000,
      })
      .execute();
    const token = memberToken(issuer, userId);
    const newConversation = async () =>
      (
        await db
          .insertInto('conversations')
          .values({ owner_id: userId, title: DEFAULT_TITLE })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;

    // One local HTTP server for the lambda, as bin/local serves it: the event of each request is
    // built beforehand and found by a header.
    const events = new Map<string, unknown>();
    const pending = new Set<Promise<void>>();
    server.on('request', (req: IncomingMessage, res) => {
      const id = String(req.headers['x-bench-event']);
      const event = events.get(id);
      events.delete(id);
      req.resume();
      const done = invokeStreaming(
        handler as unknown as StreamingHandler,
        event,
        res,
        lambdaContext('bench-chat', randomUUID()),
      ).catch((error: unknown) => console.error('chat handler failed:', error));
      pending.add(done);
      void done.finally(() => pending.delete(done));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;

    const viaRoute = async () => {
      const conversationId = await newConversation();
      const event = proxyEvent({
        method: 'POST',
        path: `/api/conversations/${conversationId}/messages`,
        token,
        headers: { Accept: 'text/event-stream' },
        body: { content: CONTENT },
      });
      const id = randomUUID();
      events.set(id, event);
      const start = performance.now();
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'x-bench-event': id },
      });
      if (response.status !== 200)
        throw new Error(`chat route answered ${response.status}: ${await response.text()}`);
      const reader = response.body?.getReader();
      if (!reader) throw new Error('no body');
      const decoder = new TextDecoder();
      let text = '';
      let firstByte = Number.NaN;
      let firstDelta = Number.NaN;
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
        const now = performance.now();
        if (Number.isNaN(firstByte) && text.includes('event: message\n')) firstByte = now - start;
        if (Number.isNaN(firstDelta) && text.includes('event: delta\n')) firstDelta = now - start;
      }
      if (!text.includes('event: done\n'))
        throw new Error(`the turn did not end with done: ${text.slice(-300)}`);
      // The turn's last writes (finishTurn) must not overlap the next measurement.
      await Promise.all(pending);
      return { firstByte, firstDelta };
    };

    const client = new OpenAI({ apiKey: 'sk-bench', baseURL: openai.baseURL, maxRetries: 0 });
    const direct = async () => {
      const start = performance.now();
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'You are Parley.' },
          { role: 'user', content: CONTENT },
        ],
        stream: true,
        stream_options: { include_usage: true },
      });
      let first = Number.NaN;
      for await (const chunk of stream) {
        if (Number.isNaN(first) && chunk.choices[0]?.delta?.content) first = performance.now() - start;
      }
      return first;
    };

    // The delays take turns within each iteration, so drift on this noisy machine hits them alike.
    const rounds = await bounded(
      { count: sends, budgetMs: budgetMs * delays.length, warmup: 20 },
      async () => {
        const pairs: { a: number; firstByte: number; firstDelta: number }[] = [];
        for (const delayMs of delays) {
          openai.setMode({ kind: 'slow-first-token', delayMs });
          const a = await direct();
          const b = await viaRoute();
          pairs.push({ a, ...b });
        }
        return pairs;
      },
    );
    const results: DelayResult[] = delays.map((delayMs, index) => {
      const pairs = rounds.map((round) => round[index]).filter((pair) => pair !== undefined);
      return {
        firstTokenDelayMs: delayMs,
        direct: roundSummary(summarize(pairs.map((p) => p.a))),
        routeFirstByte: roundSummary(summarize(pairs.map((p) => p.firstByte))),
        routeFirstDelta: roundSummary(summarize(pairs.map((p) => p.firstDelta))),
        addedToFirstDelta: roundSummary(summarize(pairs.map((p) => p.firstDelta - p.a))),
      };
    });

    // Where the time goes: the route's I/O steps alone, in the order the route runs them.
    const { postgresMessages } = await import('#chat/adapters/postgres-message-repository');
    const { getCache } = await import('#shared/cache/get-cache');
    const { getSql } = await import('#shared/db/sql-database');
    const repo = postgresMessages(getSql());
    const cache = getCache();
    const loop = { count: 50, budgetMs: 20_000, warmup: 5 };
    const steps: Record<string, Summary> = {};
    steps['cache increment (rate limit)'] = summarize(
      await timed(loop, () => cache.increment(`bench:rate:${randomUUID()}`, 60)),
    );
    steps['cache get (shared circuit)'] = summarize(await timed(loop, () => cache.get('bench:circuit')));
    steps['monthlyUsage (1 query)'] = summarize(
      await timed(loop, () => repo.monthlyUsage(userId, new Date())),
    );
    const conversationIds = await Promise.all(
      Array.from({ length: loop.count + loop.warmup }, newConversation),
    );
    const started: string[] = [];
    steps['startTurn (1 statement)'] = summarize(
      await timed(loop, async (i) => {
        const turn = await repo.startTurn({
          ownerId: userId,
          conversationId: conversationIds[i < 0 ? -1 - i : loop.warmup + i] ?? '',
          content: CONTENT,
          model: 'gpt-4o-mini',
          titleIfFirst: 'Bench',
          prompt: { systemPrompt: 'You are Parley.', contextBudgetTokens: 12_000 },
        });
        started.push(turn.assistantMessage?.id ?? '');
      }),
    );
    steps['saveProgress (1 update)'] = summarize(
      await timed(loop, (i) => repo.saveProgress(started[i < 0 ? -1 - i : loop.warmup + i] ?? '', 'Hello')),
    );
    steps['finishTurn (tx, 2 statements)'] = summarize(
      await timed(loop, (i) =>
        repo.finishTurn({
          ownerId: userId,
          assistantId: started[i < 0 ? -1 - i : loop.warmup + i] ?? '',
          content: 'Hello',
          status: 'complete',
          model: 'gpt-4o-mini',
          promptTokens: 10,
          completionTokens: 2,
          costMicros: 1,
        }),
      ),
    );

    return {
      cache: benchRedisUrl() ? 'redis' : 'memory',
      delays: results,
      steps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, roundSummary(v)])),
    };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await openai.close();
    const { closeDatabase } = await import('#shared/db/database');
    const { closeCache } = await import('#shared/cache/get-cache');
    await closeCache().catch(() => undefined);
    await closeDatabase();
    await scratch.drop();
  }
}

export function printChatLatency(result: ChatLatencyResult): void {
  console.log(
    `\nChat route time to first byte (fake OpenAI over HTTP, real PostgreSQL, cache: ${result.cache}; ms)`,
  );
  printTable(
    [
      'first token delay',
      'n',
      'model alone p50',
      'route → message p50',
      'route → delta p50',
      'added p50',
      'added p95',
    ],
    result.delays.map((d) => [
      `${d.firstTokenDelayMs} ms`,
      String(d.addedToFirstDelta.n),
      d.direct.p50,
      d.routeFirstByte.p50,
      d.routeFirstDelta.p50,
      d.addedToFirstDelta.p50,
      d.addedToFirstDelta.p95,
    ]),
  );
  const target = result.delays.map((d) => `${d.firstTokenDelayMs} ms: ${round(d.addedToFirstDelta.p50, 1)}`);
  console.log(`  added to first delta at p50 (target < 15 ms): ${target.join(', ')}`);
  console.log('\nChat route steps alone (ms)');
  printTable(
    ['step', 'n', 'p50', 'p95'],
    Object.entries(result.steps).map(([name, s]) => [name, String(s.n), s.p50, s.p95]),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await chatLatency();
  printChatLatency(result);
  console.log(JSON.stringify({ bench: 'chat-latency', ...result }));
}
