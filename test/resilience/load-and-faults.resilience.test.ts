import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiClient, drive, NO_ANSWER, userMessageStored, type Outcome } from './support/client';
import { percentile, record, setting } from './support/figures';
import { signInForToken } from './support/sign-in';
import { captureLogs, type LogCapture } from './support/logs';
import { disposablePostgres, disposableRedis, type DisposableService } from './support/services';

/**
 * The local server (`startDevServer`: the real handlers behind the local API Gateway, the Cognito
 * emulator) on a PostgreSQL and a Redis of its own, which these tests stop and start again, and
 * the fake OpenAI server, which misbehaves on demand. Bounded by RESILIENCE_CLIENTS,
 * RESILIENCE_SOAK_SECONDS and RESILIENCE_FAULT_SECONDS.
 */
const CLIENTS = setting('CLIENTS', 100);
const SOAK_SECONDS = setting('SOAK_SECONDS', 60);
const FAULT_SECONDS = setting('FAULT_SECONDS', 4);
const USERS = Math.min(10, CLIENTS);
/** Recovery must come by itself within this long after the fault ends. */
const RECOVERY_MS = 10_000;

// The handlers log at INFO, so the soak can read which request each line names. The logger reads
// its level once, on import: set it before anything loads it.
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
const { startFakeOpenAI } = await import('../support/fake-openai');
const { startDevServer } = await import('../../bin/local/dev-server');

type FakeOpenAI = Awaited<ReturnType<typeof startFakeOpenAI>>;
type DevServer = Awaited<ReturnType<typeof startDevServer>>;

let postgres: DisposableService;
let redis: DisposableService;
let openai: FakeOpenAI;
let server: DevServer;
let dataDir: string;
let tokens: string[];
let db: pg.Pool;
const NORMAL = { kind: 'normal', chunkDelayMs: 2 } as const;

beforeAll(async () => {
  logs = captureLogs(keepRequestKeys);
  [postgres, redis, openai, dataDir] = await Promise.all([
    disposablePostgres(),
    disposableRedis(),
    startFakeOpenAI({ mode: NORMAL }),
    mkdtemp(join(tmpdir(), 'parley-resilience-')),
  ]);
  Object.assign(process.env, {
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    OPENAI_API_KEY: 'sk-resilience-test-key',
    OPENAI_BASE_URL: openai.baseURL,
    OPENAI_FIRST_TOKEN_TIMEOUT_MS: '1000',
    OPENAI_IDLE_TIMEOUT_MS: '1000',
    OPENAI_MAX_ATTEMPTS: '2',
    OPENAI_CIRCUIT_OPEN_MS: '2000',
    CHAT_RATE_LIMIT_PER_MINUTE: '10000',
    ROUTE_BUDGET_MULTIPLIER: '10000',
    DEFAULT_MONTHLY_TOKENS: '2000000000',
  });
  server = await startDevServer({ port: 0, cognitoPort: 0, dataDir, quiet: true, bootstrapAdmin: false });
  db = new pg.Pool({ connectionString: postgres.url, max: 2 });
  db.on('error', () => undefined);
  tokens = await Promise.all(
    Array.from({ length: USERS }, async (_, i) => {
      const email = `load-${i}-${randomUUID().slice(0, 8)}@example.test`;
      const password = `${randomUUID()}aA1!`;
      const created = await server.createUser({ email, password, role: 'members' });
      return signInForToken(server.cognitoEndpoint, server.clientId, email, password, created.totpSecret);
    }),
  );
}, 180_000);

afterAll(async () => {
  await db?.end();
  await server?.stop();
  await openai?.close();
  await redis?.dispose();
  await postgres?.dispose();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  logs?.stop();
});

/** Clients, each with a conversation of its own (so sends never wait on each other's replies). */
async function clients(count: number): Promise<{ client: ApiClient; conversationId: string }[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const client = new ApiClient(server.url, tokens[i % tokens.length] as string);
      const created = await client.create();
      if (created.status !== 201) throw new Error(`could not create a conversation: ${created.status}`);
      client.outcomes.length = 0;
      return { client, conversationId: (JSON.parse(created.text) as { id: string }).id };
    }),
  );
}

/** User messages in the database among `contents` (by exact content). */
async function storedAmong(contents: readonly string[]): Promise<number> {
  if (contents.length === 0) return 0;
  const result = await db.query<{ n: string }>(
    "select count(*) as n from messages where role = 'user' and content = any($1::text[])",
    [contents],
  );
  return Number(result.rows[0]?.n ?? 0);
}

/** Replies in these conversations still `streaming` (none is, once every send has answered). */
async function repliesBeingWritten(conversationIds: readonly string[]): Promise<number> {
  const result = await db.query<{ n: string }>(
    "select count(*) as n from messages where role = 'assistant' and status = 'streaming' and conversation_id = any($1::uuid[])",
    [conversationIds],
  );
  return Number(result.rows[0]?.n ?? 0);
}

const isServerError = (o: Outcome) => o.status >= 500 || o.status === NO_ANSWER;
const statusSummary = (outcomes: readonly Outcome[]) => {
  const counts = new Map<number, number>();
  for (const o of outcomes) counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
};
const heapAfterCollection = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
};

/** What the soak keeps of a handler's log line. */
const keepRequestKeys = (line: Record<string, unknown>) => ({
  requestId: line.requestId,
  route: line.route,
  fn: line.function_request_id,
  // The status a refusal logs: the answer of the request the line names, or the line belongs to
  // another (a whole context swapped names the other's id and route alike).
  status: line.message === 'Request refused' ? line.status : undefined,
});
let logs: LogCapture<ReturnType<typeof keepRequestKeys>>;

describe('load and soak', () => {
  it(`${CLIENTS} clients mixing reads and streamed sends for ${SOAK_SECONDS} s`, async (context) => {
    const all = await clients(CLIENTS);
    const sent: string[] = [];
    const started = Date.now();
    const end = started + SOAK_SECONDS * 1000;
    const warmUpEnd = started + Math.max(3_000, SOAK_SECONDS * 250);
    let heapAfterWarmUp = 0;
    // The harness's own records at the warm-up's heap reading: the end's reading is taken with the
    // records cut back to these lengths, so only the server's memory can count as growth.
    let kept = { outcomes: [] as number[], lines: 0, sent: 0 };
    // Both readings are taken with no request in flight: at the warm-up's end every client waits
    // at this gate after its current request, the heap is read, then the gate opens.
    const gate = { closed: undefined as Promise<void> | undefined, waiting: 0, allWaiting: () => {} };

    logs.lines.length = 0;
    logs.collecting = true;
    try {
      const warmUp = (async () => {
        await sleep(warmUpEnd - Date.now());
        let open = () => {};
        const allWaiting = new Promise<void>((resolve) => (gate.allWaiting = resolve));
        gate.closed = new Promise<void>((resolve) => (open = resolve));
        await Promise.race([allWaiting, sleep(20_000)]);
        openai.reset();
        openai.setMode(NORMAL);
        kept = {
          outcomes: all.map(({ client }) => client.outcomes.length),
          lines: logs.lines.length,
          sent: sent.length,
        };
        heapAfterWarmUp = heapAfterCollection();
        gate.closed = undefined;
        open();
      })();
      await drive(
        all,
        () => Date.now() > end,
        async ({ client, conversationId }, index, i) => {
          if (gate.closed) {
            gate.waiting += 1;
            if (gate.waiting === all.length) gate.allWaiting();
            await gate.closed;
            gate.waiting -= 1;
          }
          switch (i % 10) {
            case 0:
            case 1:
            case 2:
              return client.list();
            case 3:
            case 4:
              return client.me();
            case 5:
            case 6:
              return client.messages(conversationId);
            case 9:
              return client.missing();
            default: {
              const content = `soak ${index} ${i} ${randomUUID()}`;
              const outcome = await client.send(conversationId, content);
              if (userMessageStored(outcome)) sent.push(content);
            }
          }
        },
      );
      await warmUp;
    } finally {
      logs.collecting = false;
    }
    const lines = logs.lines;
    openai.reset();
    openai.setMode(NORMAL);

    const outcomes = all.flatMap(({ client }) => client.outcomes);
    const routeOf = new Map(outcomes.map((o) => [o.requestId, o.route]));
    const statusOf = new Map(outcomes.map((o) => [o.requestId, o.status]));
    const requestLines = lines.filter((l) => l.route !== undefined || l.fn !== undefined);
    const named = requestLines.filter((l) => typeof l.requestId === 'string');
    const wrong = named.filter(
      (l) =>
        routeOf.get(l.requestId as string) !== l.route ||
        (l.fn !== undefined && l.fn !== l.requestId) ||
        (l.status !== undefined && statusOf.get(l.requestId as string) !== l.status),
    );
    const stored = await storedAmong(sent);
    const seconds = (Date.now() - started) / 1000;
    const requests = outcomes.length;
    const statuses = statusSummary(outcomes);
    const serverErrors = outcomes.filter(isServerError).map((o) => `${o.route} ${o.status} ${o.text}`);
    const readP99 = percentile(
      outcomes.filter((o) => o.route !== 'messages.send').map((o) => o.ms),
      99,
    );
    const sentCount = sent.length;
    const linesCount = requestLines.length;
    const namedCount = named.length;
    const wrongLines = wrong.map((l) => `${String(l.route)} ${String(l.requestId)}`);

    // Every record the harness made after the warm-up goes before the end's heap reading.
    outcomes.length = 0;
    requestLines.length = 0;
    named.length = 0;
    wrong.length = 0;
    routeOf.clear();
    statusOf.clear();
    all.forEach(({ client }, i) => (client.outcomes.length = kept.outcomes[i] ?? 0));
    logs.lines.length = kept.lines;
    sent.length = kept.sent;
    const heapAtEnd = heapAfterCollection();
    const growth = heapAfterWarmUp > 0 ? (heapAtEnd - heapAfterWarmUp) / heapAfterWarmUp : 0;

    record(
      context,
      { name: 'requests', value: `${requests} (${Math.round(requests / seconds)}/s)` },
      { name: 'statuses', value: statuses },
      { name: '5xx or no answer', value: serverErrors.length, target: '0' },
      { name: 'read p99 ms', value: Math.round(readP99) },
      { name: 'streamed sends stored / sent', value: `${stored} / ${sentCount}`, target: 'all' },
      {
        name: 'heap growth after warm-up',
        value: `${(growth * 100).toFixed(1)} % (${Math.round(heapAfterWarmUp / 2 ** 20)} → ${Math.round(heapAtEnd / 2 ** 20)} MiB)`,
        target: '< 10 %',
      },
      {
        name: 'log lines naming a request: wrong / none / all',
        value: `${wrongLines.length} / ${linesCount - namedCount} / ${linesCount}`,
        target: '0 / 0',
      },
    );
    expect(serverErrors).toEqual([]);
    expect(sentCount).toBeGreaterThan(0);
    expect(stored).toBe(sentCount);
    expect(growth).toBeLessThan(0.1);
    expect(linesCount).toBeGreaterThan(0);
    expect(wrongLines).toEqual([]);
    expect(namedCount).toBe(linesCount);
  });
});

describe('faults during load', () => {
  /** Load from `count` clients while `during` runs the fault (it can watch the answers so far). */
  async function underLoad(count: number, during: (answers: () => Outcome[]) => Promise<void>) {
    const all = await clients(count);
    const answers = () => all.flatMap(({ client }) => client.outcomes);
    const sent: string[] = [];
    let done = false;
    const load = drive(
      all,
      () => done,
      async ({ client, conversationId }, index, i) => {
        // Each client starts at a different step, as people do, so not every client is in a
        // send (or a read) at the same moment.
        switch ((i + index) % 4) {
          case 0:
            await client.me();
            break;
          case 1:
            await client.list();
            break;
          case 2:
            await client.create();
            break;
          default: {
            const content = `fault ${index} ${i} ${randomUUID()}`;
            const outcome = await client.send(conversationId, content);
            if (userMessageStored(outcome)) sent.push(content);
          }
        }
        // A pause between calls: the fault, not the load, is what is measured.
        await sleep(20);
      },
    );
    try {
      await during(answers);
    } finally {
      done = true;
      await load;
    }
    return { outcomes: answers(), sent, conversationIds: all.map((c) => c.conversationId) };
  }

  /** Waits until every route has succeeded since `since`, within the recovery bound (and a bit). */
  async function recovered(answers: () => Outcome[], routes: readonly string[], since: number) {
    const deadline = since + RECOVERY_MS + 2_000;
    while (Date.now() < deadline) {
      if (Object.values(recovery(answers(), routes, since)).every(Number.isFinite)) return;
      await sleep(100);
    }
  }

  /** Milliseconds from `since` to the first success of each route, or Infinity. */
  function recovery(outcomes: readonly Outcome[], routes: readonly string[], since: number) {
    return Object.fromEntries(
      routes.map((route) => {
        const first = outcomes.find((o) => o.route === route && o.at >= since && o.status < 300);
        return [route, first ? first.at - since : Number.POSITIVE_INFINITY];
      }),
    );
  }

  it('PostgreSQL stopped and restarted: 503 with Retry-After while down, recovery by itself', async (context) => {
    let downAt = 0;
    let upAt = 0;
    const routes = ['me.get', 'conversations.list', 'conversations.create'];
    // A send whose reply is being written while the database is down keeps its stream open while
    // the reply's saves are tried again (for up to a minute, SAVE_RETRY), so nothing is lost; a
    // load client held there asks nothing else meanwhile. This client asks only what cannot be held, the
    // whole time the database is down, so every route is asked then whatever the load is doing.
    const probe = new ApiClient(server.url, tokens[0] as string);
    let probing = true;
    const {
      outcomes: load,
      sent,
      conversationIds,
    } = await underLoad(10, async (answers) => {
      await sleep(1_000);
      await postgres.stop();
      downAt = Date.now();
      const asked = (async () => {
        while (probing) {
          for (const ask of [probe.me, probe.list, probe.create]) await ask();
          await sleep(20);
        }
      })();
      await sleep(FAULT_SECONDS * 1000);
      probing = false;
      await asked;
      await postgres.start();
      upAt = Date.now();
      await recovered(answers, routes, upAt);
    });
    const outcomes = [...load, ...probe.outcomes];
    const whileDown = outcomes.filter((o) => o.at > downAt + 500 && o.at < upAt);
    const unavailable = whileDown.filter((o) => o.status === 503);
    const times = recovery(outcomes, routes, upAt);
    const stored = await storedAmong(sent);
    const held = load.filter((o) => o.at > downAt && o.at - o.ms < upAt);
    const stillWriting = await repliesBeingWritten(conversationIds);
    // Each client sends in a conversation of its own, one send at a time: a 409 there means a
    // reply left `streaming` by the outage holds the conversation.
    const refusedAfter = load.filter((o) => o.route === 'messages.send' && o.status === 409);
    // A reply being written when the database went away is saved when it comes back, whole.
    const notWhole = load.filter((o) => userMessageStored(o) && o.events.at(-1)?.event !== 'done');
    record(
      context,
      { name: 'statuses while down', value: statusSummary(whileDown) },
      {
        name: 'longest answer while down ms (a send held while its reply is saved)',
        value: Math.round(Math.max(0, ...held.map((o) => o.ms))),
      },
      {
        name: 'other 5xx or no answer',
        value: outcomes.filter((o) => isServerError(o) && o.status !== 503).length,
        target: '0',
      },
      { name: 'recovery ms per route', value: JSON.stringify(times), target: `≤ ${RECOVERY_MS}` },
      { name: 'user messages stored / accepted', value: `${stored} / ${sent.length}`, target: 'all' },
      { name: 'replies left being written afterwards', value: stillWriting, target: '0' },
      { name: 'sends refused as a reply is being written', value: refusedAfter.length, target: '0' },
      { name: 'stored sends whose reply did not end done', value: notWhole.length, target: '0' },
    );
    expect(notWhole.map((o) => JSON.stringify(o.events.at(-1)))).toEqual([]);
    expect(stillWriting).toBe(0);
    expect(refusedAfter.map((o) => `${o.status} at ${o.at - upAt} ms after it came back`)).toEqual([]);
    expect(
      outcomes
        .filter((o) => isServerError(o) && o.status !== 503)
        .map((o) => `${o.route} ${o.status} ${o.text}`),
    ).toEqual([]);
    for (const route of routes)
      expect(
        unavailable.some((o) => o.route === route),
        `${route} answered 503`,
      ).toBe(true);
    for (const o of outcomes.filter((x) => x.status === 503)) {
      expect(o.contentType).toBe('application/problem+json');
      expect(Number(o.retryAfter)).toBeGreaterThan(0);
      expect(JSON.parse(o.text)).toMatchObject({
        type: 'urn:parley:problem:service-unavailable',
        status: 503,
      });
    }
    for (const route of routes) expect(times[route], route).toBeLessThanOrEqual(RECOVERY_MS);
    expect(stored).toBe(sent.length);
  });
  it('Redis stopped and restarted: no 5xx, readiness degraded, then ok by itself', async (context) => {
    const readiness: { at: number; status: string }[] = [];
    const probe = async () => {
      const response = await fetch(`${server.url}/api/health/ready`, { signal: AbortSignal.timeout(5_000) });
      readiness.push({ at: Date.now(), status: ((await response.json()) as { status: string }).status });
    };
    let downAt = 0;
    let upAt = 0;
    const { outcomes, sent, conversationIds } = await underLoad(10, async () => {
      await sleep(1_000);
      await redis.stop();
      downAt = Date.now();
      while (Date.now() < downAt + FAULT_SECONDS * 1000) {
        await probe();
        await sleep(250);
      }
      await redis.start();
      upAt = Date.now();
      while (Date.now() < upAt + RECOVERY_MS + 2_000) {
        await probe();
        if (readiness.at(-1)?.status === 'ok') break;
        await sleep(100);
      }
    });
    const degraded = readiness.filter((r) => r.at > downAt && r.at < upAt && r.status === 'degraded');
    const okAgain = readiness.find((r) => r.at >= upAt && r.status === 'ok');
    const stored = await storedAmong(sent);
    // The cache holds no reply: each is written whole whether it answers or not.
    const notWhole = outcomes.filter((o) => userMessageStored(o) && o.events.at(-1)?.event !== 'done');
    const stillWriting = await repliesBeingWritten(conversationIds);
    record(
      context,
      { name: 'statuses', value: statusSummary(outcomes) },
      { name: '5xx or no answer', value: outcomes.filter(isServerError).length, target: '0' },
      {
        name: 'readiness while down',
        value: [...new Set(readiness.filter((r) => r.at > downAt && r.at < upAt).map((r) => r.status))].join(
          ', ',
        ),
        target: 'degraded',
      },
      {
        name: 'readiness ok again after ms',
        value: okAgain ? okAgain.at - upAt : 'never',
        target: `≤ ${RECOVERY_MS}`,
      },
      { name: 'user messages stored / accepted', value: `${stored} / ${sent.length}`, target: 'all' },
      { name: 'stored sends whose reply did not end done', value: notWhole.length, target: '0' },
      { name: 'replies left being written afterwards', value: stillWriting, target: '0' },
    );
    expect(notWhole.map((o) => JSON.stringify(o.events.at(-1)))).toEqual([]);
    expect(stillWriting).toBe(0);
    expect(outcomes.filter(isServerError).map((o) => `${o.route} ${o.status} ${o.text}`)).toEqual([]);
    expect(degraded.length).toBeGreaterThan(0);
    expect(okAgain && okAgain.at - upAt).toBeLessThanOrEqual(RECOVERY_MS);
    expect(stored).toBe(sent.length);
  });

  it.for([
    ['429 (rate limited)', { kind: 'rate-limited', retryAfter: '1' }],
    ['500 (server error)', { kind: 'server-error' }],
    ['no answer (timeouts)', { kind: 'hang' }],
    ['streams cut mid-reply', { kind: 'cut', afterChunks: 2 }],
  ] as const)(
    'the model answering %s: designed answers, no message lost, recovery by itself',
    async ([, mode], context) => {
      const all = await clients(5);
      const sent: string[] = [];
      openai.setMode(mode);
      const faultEnd = Date.now() + FAULT_SECONDS * 1000;
      await drive(
        all,
        () => Date.now() > faultEnd,
        async ({ client, conversationId }, index, i) => {
          const content = `model ${mode.kind} ${index} ${i} ${randomUUID()}`;
          if (userMessageStored(await client.send(conversationId, content))) sent.push(content);
        },
        3,
      );
      openai.setMode(NORMAL);
      const fixedAt = Date.now();
      const probe = all[0] as (typeof all)[number];
      let recoveredAfter = Number.POSITIVE_INFINITY;
      while (Date.now() < fixedAt + RECOVERY_MS + 2_000) {
        const content = `model ${mode.kind} recovery ${randomUUID()}`;
        const outcome = await probe.client.send(probe.conversationId, content);
        if (userMessageStored(outcome)) sent.push(content);
        if (outcome.events.at(-1)?.event === 'done') {
          recoveredAfter = Date.now() - fixedAt;
          break;
        }
        await sleep(250);
      }
      const outcomes = all.flatMap(({ client }) => client.outcomes);
      const stored = await storedAmong(sent);
      const undesigned = outcomes.filter((o) => {
        if (o.status === 503)
          return !(o.contentType === 'application/problem+json' && Number(o.retryAfter) > 0);
        if (o.status !== 200) return true;
        const last = o.events.at(-1);
        if (o.events[0]?.event !== 'message' || !last) return true;
        if (last.event === 'done') return false;
        const problem = last.data as { type?: string; status?: number };
        return (
          last.event !== 'error' ||
          !/^urn:parley:problem:/.test(problem.type ?? '') ||
          JSON.stringify(problem).match(/\bat \S+:\d+|node_modules|ECONN/) !== null
        );
      });
      const endings = outcomes.map((o) =>
        o.status === 200
          ? `200:${o.events.at(-1)?.event ?? '-'}${o.events.at(-1)?.event === 'error' ? `(${(o.events.at(-1)?.data as { status?: number }).status})` : ''}`
          : String(o.status),
      );
      const counted = [...new Set(endings)]
        .map((e) => `${e}×${endings.filter((x) => x === e).length}`)
        .join(' ');
      record(
        context,
        { name: 'answers', value: counted },
        { name: 'answers outside the design', value: undesigned.length, target: '0' },
        { name: 'recovered after ms', value: recoveredAfter, target: `≤ ${RECOVERY_MS}` },
        { name: 'user messages stored / accepted', value: `${stored} / ${sent.length}`, target: 'all' },
      );
      expect(undesigned.map((o) => `${o.status} ${o.text} ${JSON.stringify(o.events)}`)).toEqual([]);
      expect(recoveredAfter).toBeLessThanOrEqual(RECOVERY_MS);
      expect(stored).toBe(sent.length);
    },
  );
});
