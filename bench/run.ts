/**
 * `npm run bench`: figures for the targets that matter on Lambda, printed, not asserted.
 * 1–2. Bundles and cold start (bench/cold-start.ts): each handler group bundled exactly as the CDK
 *    app bundles it, its bytes and five largest packages, and its cold init against an empty ESM
 *    module in the same run (median of 15 fresh processes).
 * 3. Warm overhead: per-call time of a route through the whole middleware stack, against the
 *    same work in a bare handler (the ratio is what the stack costs).
 * 4. Chat time to first byte: what the chat route adds to the model's own first token
 *    (bench/chat-latency.ts; real HTTP, PostgreSQL, Redis when REDIS_URL is set).
 * 4b. API under load: GET /api/conversations and /api/me with autocannon through the local server,
 *    against a bare node:http server running the same SQL on the same pool (bench/api-load.ts).
 * 5. Data scale: list, search and export at 10k and 1M messages (bench/data-scale.ts; slow,
 *    skipped with BENCH_SCALE=0). See docs/performance.md.
 * Each section prints a table; the last line is one JSON object with every figure.
 */
import { callerEnv } from './quiet';
import { spawnSync } from 'node:child_process';

/**
 * The environment the sections in processes of their own start from: as the bench was started,
 * before the in-process section below changes process.env (its handler settings, and what
 * Powertools sets for itself, such as AWS_LAMBDA_MAX_CONCURRENCY).
 */
const startEnv = { ...process.env };

async function warm() {
  Object.assign(process.env, {
    STAGE: 'test',
    DB_DRIVER: 'pg',
    DATABASE_URL: 'postgres://127.0.0.1:1/unused',
    COGNITO_USER_POOL_ID: 'local_Bench1',
    COGNITO_CLIENT_IDS: 'benchclient',
    COGNITO_ENDPOINT: 'http://127.0.0.1:1',
    WEB_ORIGIN: 'https://chat.example.com',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const { handler } = await import('#health/lambda');
  const { lambdaContext } = await import('../bin/local/gateway');
  const event = () =>
    ({
      resource: '/api/health',
      path: '/api/health',
      httpMethod: 'GET',
      headers: { Origin: 'https://chat.example.com' },
      queryStringParameters: null,
      pathParameters: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { requestId: 'bench' },
    }) as never;
  const context = lambdaContext('bench', 'bench');
  const bare = async () => ({ statusCode: 200, headers: {}, body: JSON.stringify({ status: 'ok' }) });
  const measure = async (fn: () => Promise<unknown>, n: number) => {
    for (let i = 0; i < 500; i++) await fn();
    const start = performance.now();
    for (let i = 0; i < n; i++) await fn();
    return ((performance.now() - start) * 1000) / n;
  };
  const n = 20_000;
  const stack = await measure(() => handler(event(), context), n);
  const baseline = await measure(bare, n);
  const heap = process.memoryUsage().heapUsed / 1024 / 1024;
  console.log('\nWarm GET /api/health through the full middleware stack');
  console.log(`  full stack: ${stack.toFixed(1)} µs/call   bare handler: ${baseline.toFixed(2)} µs/call`);
  console.log(`  stack overhead: ${(stack - baseline).toFixed(1)} µs/call (target < 50 µs)`);
  console.log(`  heap after ${n * 2} calls: ${heap.toFixed(1)} MB`);
}

/** Runs a section file in a fresh Node process (bounded in time); prints its tables, returns its JSON. */
function section(file: string, timeoutMs: number): unknown {
  const result = spawnSync(process.execPath, ['--import', 'tsx', file], {
    env: { ...startEnv, DATABASE_URL: callerEnv.DATABASE_URL, REDIS_URL: callerEnv.REDIS_URL },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = result.stdout.split('\n');
  const json = lines.find((line) => line.startsWith('{"bench":'));
  process.stdout.write(lines.filter((line) => line !== json).join('\n'));
  if (result.status !== 0 || !json) return { failed: result.error?.message ?? `exit ${result.status}` };
  return JSON.parse(json) as unknown;
}

{
  const coldStart = section('bench/cold-start.ts', 15 * 60_000);
  await warm();
  // Each in a process of its own: the handlers keep module-level state (config, pools, caches),
  // and the sections above set an environment of their own.
  const chat = section('bench/chat-latency.ts', 10 * 60_000);
  const apiLoad = section('bench/api-load.ts', 5 * 60_000);
  const scale =
    process.env.BENCH_SCALE === '0'
      ? (console.log('\nData scale: skipped (BENCH_SCALE=0)'), 'skipped (BENCH_SCALE=0)')
      : section('bench/data-scale.ts', 30 * 60_000);
  console.log(
    JSON.stringify({
      bench: 'parley',
      at: new Date().toISOString(),
      node: process.version,
      coldStart,
      chat,
      apiLoad,
      scale,
    }),
  );
}
