/**
 * API under load: autocannon (50 connections) on `GET /api/conversations` and `GET /api/me`
 * through the local server (`startDevServer`: the local API Gateway with its token check, then
 * the real handlers, PostgreSQL and Redis), against a minimal `node:http` server that runs the
 * same SQL (the routes' own repository adapters) on the same pool, in the same process and run.
 * Target: at least 0.8x the baseline's requests per second, p99 under 50 ms.
 * BENCH_API_SECONDS sets each of the four runs' length (default 10); BENCH_API_CONNECTIONS the
 * connections (default 50). The last line is `{"bench":"api-load",...}`.
 */
import './quiet';
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchRedisUrl, createScratchDatabase } from './support';
import { signInForToken } from '../test/resilience/support/sign-in';

const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 50);
const TARGET_RATIO = 0.8;
const TARGET_P99_MS = 50;

interface Run {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
}

async function load(url: string, token?: string): Promise<Run> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    // The load comes from a worker thread, so the servers keep this thread to themselves.
    workers: 1,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

const scratch = await createScratchDatabase('parley_bench_api');
const dataDir = await mkdtemp(join(tmpdir(), 'parley-bench-api-'));
const redisUrl = benchRedisUrl();
Object.assign(process.env, {
  DATABASE_URL: scratch.url,
  ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
});
delete process.env.OPENAI_API_KEY;
const { startDevServer } = await import('../bin/local/dev-server');
const server = await startDevServer({ port: 0, cognitoPort: 0, dataDir, quiet: true, bootstrapAdmin: false });
let baseline: Server | undefined;
try {
  const email = `bench-${randomUUID().slice(0, 8)}@example.test`;
  const password = `${randomUUID()}aA1!`;
  const user = await server.createUser({ email, password, role: 'members' });
  const token = await signInForToken(
    server.cognitoEndpoint,
    server.clientId,
    email,
    password,
    user.totpSecret,
  );
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  for (let i = 0; i < 20; i += 1) {
    const created = await fetch(`${server.url}/api/conversations`, { method: 'POST', headers, body: '{}' });
    if (created.status !== 201) throw new Error(`seeding conversations: ${created.status}`);
  }

  // The baseline: the routes' SQL (their repository adapters) on the handlers' own pool, nothing else.
  const { getDatabase } = await import('#shared/db/database');
  const { postgresConversations } = await import('#conversations/adapters/postgres-conversations');
  const { postgresUserDirectory } = await import('#users/adapters/postgres-user-directory');
  const db = getDatabase();
  const conversations = postgresConversations(db);
  const users = postgresUserDirectory(db);
  baseline = createServer((req, res) => {
    const answer = async () => {
      if (req.url?.startsWith('/api/conversations')) return conversations.list(user.id, { limit: 20 });
      const [profile, used] = await Promise.all([
        users.find(user.id),
        users.tokensUsedSince(user.id, new Date()),
      ]);
      return { ...profile, usedTokens: used };
    };
    answer().then(
      (body) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  });
  const baselineUrl = await listen(baseline);

  const rows: Record<string, unknown>[] = [];
  for (const path of ['/api/conversations', '/api/me']) {
    // A short warm-up of both, so neither pays for first-use costs in its figures.
    await fetch(server.url + path, { headers }).then((r) => r.text());
    await fetch(baselineUrl + path).then((r) => r.text());
    const parley = await load(server.url + path, token);
    const bare = await load(baselineUrl + path);
    rows.push({
      route: `GET ${path}`,
      parley,
      baseline: bare,
      ratio: Number((parley.requestsPerSecond / Math.max(1, bare.requestsPerSecond)).toFixed(2)),
    });
  }

  console.log(
    `\nAPI under load: ${CONNECTIONS} connections, ${SECONDS} s per run (autocannon), PostgreSQL${redisUrl ? ' and Redis' : ''}`,
  );
  console.log(
    '  route                  parley req/s  p50   p99 | baseline req/s  p99 | ratio (≥ 0.8)  p99 < 50 ms',
  );
  for (const row of rows) {
    const parley = row.parley as Run;
    const bare = row.baseline as Run;
    const ratio = row.ratio as number;
    console.log(
      `  ${String(row.route).padEnd(22)} ${String(parley.requestsPerSecond).padStart(12)} ${String(parley.p50).padStart(4)} ${String(parley.p99).padStart(5)} | ${String(bare.requestsPerSecond).padStart(14)} ${String(bare.p99).padStart(4)} | ${ratio.toFixed(2).padStart(5)} ${ratio >= TARGET_RATIO ? 'met ' : 'MISS'}    ${parley.p99 < TARGET_P99_MS ? 'met' : 'MISS'}` +
        (parley.non2xx + parley.errors > 0 ? `   (${parley.non2xx} non-2xx, ${parley.errors} errors)` : ''),
    );
  }
  console.log(
    JSON.stringify({
      bench: 'api-load',
      connections: CONNECTIONS,
      seconds: SECONDS,
      redis: Boolean(redisUrl),
      targets: { ratio: TARGET_RATIO, p99Ms: TARGET_P99_MS },
      routes: rows,
    }),
  );
} finally {
  await new Promise<void>((resolve) => (baseline ? baseline.close(() => resolve()) : resolve()));
  await server.stop();
  await scratch.drop();
  await rm(dataDir, { recursive: true, force: true });
}
