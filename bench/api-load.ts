/**
 * API under load: autocannon (50 connections) on `GET /api/conversations` and `GET /api/me`
 * through the local server (`startDevServer`: the local API Gateway with its token check, then
 * the real handlers, PostgreSQL and Redis), against a minimal `node:http` server that runs the
 * same SQL (the routes' own repository adapters) on the same pool, in the same process and run.
 * Target: at least 0.8x the baseline's requests per second, p99 under 50 ms.
 * The two servers take turns: BENCH_API_ROUNDS rounds (default 7) per route, each a run of Parley
 * and a run of the baseline, in alternating order, so a change in the machine's load between runs
 * moves both; the ratio reported is the median of the rounds' ratios, the p99 the median of the
 * rounds' p99s. Beside req/s, each run's machine CPU per request (all processes: servers,
 * PostgreSQL, Redis and the load generator, from /proc/stat where it exists), which noise moves
 * far less than throughput, and the CPU per request of the one thread that serves both servers
 * (this process's main thread: the load generator is a worker thread). Before the rounds, each
 * server takes BENCH_API_WARMUP_SECONDS (default 5) of the same load, unmeasured.
 * BENCH_API_SECONDS sets each run's length (default 3: shorter runs, more of them, so the
 * machine's speed, which drifts over seconds here, moves both halves of a round alike);
 * BENCH_API_CONNECTIONS the connections (default 50). BENCH_API_SPLIT=1 adds a third server to
 * every round, to split the gap: the local gateway itself (route match, body, the token check of
 * its authorizer, the proxy event, the answer) around a function that runs only the baseline's
 * SQL, so "front / baseline" is what the API Gateway emulation costs and the rest of Parley's gap
 * is the Lambda handler. The last line is
 * `{"bench":"api-load",...}`.
 */
import './quiet';
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchRedisUrl, createScratchDatabase } from './support';
import { signInForToken } from '../test/resilience/support/sign-in';

const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 3);
const ROUNDS = Math.max(1, Math.min(9, Number(process.env.BENCH_API_ROUNDS ?? 7)));
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 50);
const SPLIT = process.env.BENCH_API_SPLIT === '1';
const WARMUP_SECONDS = Math.max(0, Math.min(30, Number(process.env.BENCH_API_WARMUP_SECONDS ?? 5)));
const TARGET_RATIO = 0.8;
const TARGET_P99_MS = 50;

interface Run {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
  /** Machine CPU (every process) per request, in µs; null where /proc/stat is not there. */
  readonly cpuUsPerRequest: number | null;
  /**
   * CPU of this process's main thread per request, in µs: the one thread that serves every
   * request of both servers (HTTP, the gateway, the handlers, the pg and Redis clients), where
   * the load generator is a worker thread of its own.
   */
  readonly serverThreadUsPerRequest: number;
  /** The part of it spent running JavaScript and V8 (user time), the rest being system calls. */
  readonly serverThreadUserUsPerRequest: number;
  /** CPU of the PostgreSQL and Redis/Valkey processes per request, in µs; null without /proc. */
  readonly servicesUsPerRequest: { readonly postgres: number; readonly redis: number } | null;
}

/** Busy CPU time of the whole machine so far, in ms (Linux /proc/stat); null elsewhere. */
async function machineBusyMs(): Promise<number | null> {
  const stat = await readFile('/proc/stat', 'utf8').catch(() => null);
  const fields = stat?.split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number);
  if (!fields || fields.length < 7 || fields.some((n) => !Number.isFinite(n))) return null;
  // user + nice + system + irq + softirq, in clock ticks of 10 ms (USER_HZ is 100 on Linux).
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = fields;
  return (user + nice + system + irq + softirq) * 10;
}

/**
 * CPU used so far by the machine's PostgreSQL and Redis/Valkey processes (every backend), in ms,
 * by process name (Linux /proc); null elsewhere.
 */
async function servicesBusyMs(): Promise<{ postgres: number; redis: number } | null> {
  const pids = await readdir('/proc').catch(() => null);
  if (!pids) return null;
  const busy = { postgres: 0, redis: 0 };
  for (const pid of pids.filter((name) => /^\d+$/.test(name))) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    // "pid (name) state …": the name may hold spaces and parentheses, the last ")" ends it.
    const close = stat?.lastIndexOf(')') ?? -1;
    if (!stat || close < 0) continue;
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const service = name === 'postgres' ? 'postgres' : /^(redis|valkey)-server$/.test(name) ? 'redis' : null;
    if (!service) continue;
    // utime and stime, the 14th and 15th fields, in clock ticks of 10 ms.
    const fields = stat.slice(close + 2).split(' ');
    busy[service] += (Number(fields[11]) + Number(fields[12])) * 10;
  }
  return busy;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const at = (i: number) => sorted[i] ?? Number.NaN;
  return sorted.length % 2 === 1 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
};

type ServicesCpu = NonNullable<Run['servicesUsPerRequest']>;
type Rounds = readonly { readonly parley: Run; readonly baseline: Run }[];

/** The median of one figure over the rounds, for each server. */
function mediansOf(rounds: Rounds, figure: (run: Run) => number): { parley: number; baseline: number } {
  return {
    parley: median(rounds.map((r) => figure(r.parley))),
    baseline: median(rounds.map((r) => figure(r.baseline))),
  };
}

/** The medians of each service's CPU per request over the rounds, for each server; null without /proc. */
function servicesMedians(rounds: Rounds): { parley: ServicesCpu; baseline: ServicesCpu } | null {
  const of = (runs: readonly Run[]): ServicesCpu | null => {
    const measured = runs.flatMap((run) => (run.servicesUsPerRequest ? [run.servicesUsPerRequest] : []));
    if (measured.length < runs.length) return null;
    return {
      postgres: median(measured.map((m) => m.postgres)),
      redis: median(measured.map((m) => m.redis)),
    };
  };
  const parley = of(rounds.map((r) => r.parley));
  const baseline = of(rounds.map((r) => r.baseline));
  return parley && baseline ? { parley, baseline } : null;
}

async function load(url: string, token?: string, seconds = SECONDS): Promise<Run> {
  const busyBefore = await machineBusyMs();
  const servicesBefore = await servicesBusyMs();
  const threadBefore = process.threadCpuUsage();
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    // The load comes from a worker thread, so the servers keep this thread to themselves.
    workers: 1,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const thread = process.threadCpuUsage(threadBefore);
  const busyAfter = await machineBusyMs();
  const servicesAfter = await servicesBusyMs();
  const usPerRequest = (us: number) => Math.round(us / Math.max(1, result.requests.total));
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuUsPerRequest:
      busyBefore === null || busyAfter === null || result.requests.total === 0
        ? null
        : usPerRequest((busyAfter - busyBefore) * 1000),
    serverThreadUsPerRequest: usPerRequest(thread.user + thread.system),
    serverThreadUserUsPerRequest: usPerRequest(thread.user),
    servicesUsPerRequest:
      servicesBefore && servicesAfter
        ? {
            postgres: usPerRequest((servicesAfter.postgres - servicesBefore.postgres) * 1000),
            redis: usPerRequest((servicesAfter.redis - servicesBefore.redis) * 1000),
          }
        : null,
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
let front: Server | undefined;
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
  const { getSql } = await import('#shared/db/sql-database');
  const { postgresConversations } = await import('#conversations/adapters/postgres-conversations');
  const { postgresUserDirectory } = await import('#users/adapters/postgres-user-directory');
  const db = getSql();
  const conversations = postgresConversations(db);
  const users = postgresUserDirectory(db);
  const sqlAnswer = async (url: string | undefined) => {
    if (url?.startsWith('/api/conversations')) return conversations.list(user.id, { limit: 20 });
    const [profile, used] = await Promise.all([
      users.find(user.id),
      users.tokensUsedSince(user.id, new Date()),
    ]);
    return { ...profile, usedTokens: used };
  };
  const answerWith = (res: ServerResponse, work: Promise<unknown>) =>
    work.then(
      (body) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  baseline = createServer((req, res) => void answerWith(res, sqlAnswer(req.url)));
  const baselineUrl = await listen(baseline);

  // The split's third server: the local gateway itself (`apiGateway`: the route table, the body,
  // the authorizer's token check with a verifier of its own, the proxy event, the answer written
  // back) around a function that only runs the baseline's SQL.
  let frontUrl: string | undefined;
  if (SPLIT) {
    const { apiGateway } = await import('../bin/local/dev-server');
    const { createTokenVerifier } = await import('#shared/http/auth');
    const { getConfig } = await import('#shared/config');
    const sqlFunction = async (event: { path: string }) => ({
      statusCode: 200,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(await sqlAnswer(event.path)),
    });
    const gateway = apiGateway(createTokenVerifier(getConfig()), async () => sqlFunction);
    const gatewayFront = (req: IncomingMessage, res: ServerResponse) =>
      gateway(req, res, URL.parse(req.url ?? '/', 'http://127.0.0.1') as URL);
    front = createServer((req, res) =>
      gatewayFront(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      }),
    );
    frontUrl = await listen(front);
  }

  interface Row {
    readonly route: string;
    readonly rounds: {
      readonly parley: Run;
      readonly baseline: Run;
      readonly ratio: number;
      readonly front?: Run;
      readonly frontRatio?: number;
    }[];
    readonly ratio: number;
    readonly frontRatio?: number;
    readonly p99: number;
    readonly baselineP99: number;
    /** Medians of the server thread's CPU per request, and of its user part (see Run). */
    readonly serverThread: { readonly parley: number; readonly baseline: number };
    readonly serverThreadUser: { readonly parley: number; readonly baseline: number };
    /** Medians of the PostgreSQL and Redis processes' CPU per request; null without /proc. */
    readonly services: { readonly parley: ServicesCpu; readonly baseline: ServicesCpu } | null;
  }
  const rows: Row[] = [];
  for (const path of ['/api/conversations', '/api/me']) {
    // A warm-up of both under the same load, so neither pays for first-use costs or for the JIT
    // compiling its hot path in its figures (the first 5 s round read 0.52 while the next two
    // read 0.63 and 0.72 without it).
    await fetch(server.url + path, { headers }).then((r) => r.text());
    await fetch(baselineUrl + path).then((r) => r.text());
    const servers = {
      parley: () => load(server.url + path, token),
      baseline: () => load(baselineUrl + path),
      ...(frontUrl ? { front: () => load(frontUrl + path, token) } : {}),
    };
    if (WARMUP_SECONDS > 0) {
      await load(server.url + path, token, WARMUP_SECONDS);
      await load(baselineUrl + path, undefined, WARMUP_SECONDS);
      if (frontUrl) await load(frontUrl + path, token, WARMUP_SECONDS);
    }
    const rounds: Row['rounds'][number][] = [];
    const ratioOf = (run: Run, bare: Run) =>
      Number((run.requestsPerSecond / Math.max(1, bare.requestsPerSecond)).toFixed(2));
    for (let round = 0; round < ROUNDS; round += 1) {
      // Alternating order: Parley first, then the baseline first, and so on (the split's third
      // server last, then first).
      const names = Object.keys(servers) as (keyof typeof servers)[];
      const got: Partial<Record<keyof typeof servers, Run>> = {};
      for (const name of round % 2 === 0 ? names : names.reverse()) got[name] = await servers[name]?.();
      const parley = got.parley as Run;
      const bare = got.baseline as Run;
      rounds.push({
        parley,
        baseline: bare,
        ratio: ratioOf(parley, bare),
        ...(got.front ? { front: got.front, frontRatio: ratioOf(got.front, bare) } : {}),
      });
    }
    const frontRatios = rounds.flatMap((r) => (r.frontRatio === undefined ? [] : [r.frontRatio]));
    rows.push({
      route: `GET ${path}`,
      rounds,
      ratio: Number(median(rounds.map((r) => r.ratio)).toFixed(2)),
      ...(frontRatios.length > 0 ? { frontRatio: Number(median(frontRatios).toFixed(2)) } : {}),
      p99: median(rounds.map((r) => r.parley.p99)),
      baselineP99: median(rounds.map((r) => r.baseline.p99)),
      serverThread: mediansOf(rounds, (run) => run.serverThreadUsPerRequest),
      serverThreadUser: mediansOf(rounds, (run) => run.serverThreadUserUsPerRequest),
      services: servicesMedians(rounds),
    });
  }

  console.log(
    `\nAPI under load: ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up then ${ROUNDS} rounds of ${SECONDS} s runs per server (autocannon), PostgreSQL${redisUrl ? ' and Redis' : ''}`,
  );
  console.log(
    '  route                  round  parley req/s  p50   p99  cpu µs/req  thread µs/req | baseline req/s  p99  cpu µs/req  thread µs/req | ratio' +
      (SPLIT ? ' | gateway front req/s  ratio' : ''),
  );
  const cpu = (run: Run) =>
    `${String(run.cpuUsPerRequest ?? '-').padStart(10)} ${String(run.serverThreadUsPerRequest).padStart(14)}`;
  for (const row of rows) {
    row.rounds.forEach(({ parley, baseline: bare, ratio, front: gatewayFront, frontRatio }, i) => {
      console.log(
        `  ${String(row.route).padEnd(22)} ${String(i + 1).padStart(5)} ${String(parley.requestsPerSecond).padStart(13)} ${String(parley.p50).padStart(4)} ${String(parley.p99).padStart(5)} ${cpu(parley)} | ${String(bare.requestsPerSecond).padStart(14)} ${String(bare.p99).padStart(4)} ${cpu(bare)} | ${ratio.toFixed(2).padStart(5)}` +
          (gatewayFront && frontRatio !== undefined
            ? ` | ${String(gatewayFront.requestsPerSecond).padStart(20)} ${frontRatio.toFixed(2).padStart(6)}` +
              (gatewayFront.non2xx + gatewayFront.errors > 0
                ? ` (front: ${gatewayFront.non2xx} non-2xx, ${gatewayFront.errors} errors)`
                : '')
            : '') +
          (parley.non2xx + parley.errors > 0 ? `   (${parley.non2xx} non-2xx, ${parley.errors} errors)` : ''),
      );
    });
    console.log(
      `  ${String(row.route).padEnd(22)} median: ratio ${row.ratio.toFixed(2)} (≥ ${TARGET_RATIO}: ${row.ratio >= TARGET_RATIO ? 'met' : 'MISS'}), p99 ${row.p99} ms (< ${TARGET_P99_MS} ms: ${row.p99 < TARGET_P99_MS ? 'met' : 'MISS'}), baseline p99 ${row.baselineP99} ms` +
        (row.frontRatio === undefined
          ? ''
          : `; the local gateway around the SQL alone ${row.frontRatio.toFixed(2)}`) +
        `; server thread µs/req ${row.serverThread.parley} (user ${row.serverThreadUser.parley}) against ${row.serverThread.baseline} (user ${row.serverThreadUser.baseline})` +
        (row.services
          ? `; PostgreSQL µs/req ${row.services.parley.postgres} against ${row.services.baseline.postgres}, Redis ${row.services.parley.redis} against ${row.services.baseline.redis}`
          : ''),
    );
  }
  console.log(
    JSON.stringify({
      bench: 'api-load',
      connections: CONNECTIONS,
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      rounds: ROUNDS,
      split: SPLIT,
      redis: Boolean(redisUrl),
      targets: { ratio: TARGET_RATIO, p99Ms: TARGET_P99_MS },
      routes: rows,
    }),
  );
} finally {
  for (const bare of [baseline, front])
    await new Promise<void>((resolve) => (bare ? bare.close(() => resolve()) : resolve()));
  await server.stop();
  await scratch.drop();
  await rm(dataDir, { recursive: true, force: true });
}
