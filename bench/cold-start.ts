/**
 * Bundles and cold start (`npm run bench`, sections 1–2; alone: `node_modules/.bin/node --import tsx
 * bench/cold-start.ts`: Node 24, as Lambda's nodejs24.x; the system Node 20 loads bundles faster and
 * would flatter the ratios).
 *
 * Each handler group is bundled exactly as the CDK app bundles it (`esbuildOptions` from
 * lib/constructs/bundling-options.ts, the options `AppFunction` gives NodejsFunction), with a
 * metafile to name the largest packages. Each bundle then starts in fresh Node processes beside an
 * empty ESM module, taking turns in every round so that machine load weighs on all alike:
 * - cold init: process start to the module evaluated (`performance.now()` in the child, whose
 *   time origin is the process start), the phase Lambda's INIT duration covers;
 * - first request: the first invocation after that (an unauthenticated request to the group's
 *   first route: the middleware stack, and whatever it loads on first use, such as the tracer).
 * The environment is a Lambda one (function name, region, credentials, a sampled X-Ray trace
 * header), so tracing and metrics are on as deployed. Prints a table; the last line is JSON.
 */
import './quiet';
import { build, type Metafile } from 'esbuild';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { routes } from '#api/index';
import { HANDLER_GROUPS, type HandlerGroup } from '#shared/http/route';
import { esbuildOptions, LAMBDA_CHUNKS } from '../lib/constructs/bundling-options';

const ROUNDS = Number(process.env.BENCH_COLD_ROUNDS ?? 15);
const EMPTY_MODULE = 'export const handler = async () => ({});\n';

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** What a deployed function's environment holds (lib/constructs/function-environment.ts, and Lambda's own). */
export const lambdaEnv = (group: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  STAGE: 'dev',
  DB_DRIVER: 'data-api',
  DB_CLUSTER_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:bench',
  DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:bench',
  DB_NAME: 'parley',
  COGNITO_USER_POOL_ID: 'eu-west-1_Bench1',
  COGNITO_CLIENT_IDS: 'benchclient,benchmachine',
  OPENAI_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:openai',
  OPENAI_MODEL: 'gpt-4o-mini',
  WEB_ORIGIN: 'https://chat.example.com',
  POWERTOOLS_SERVICE_NAME: group,
  POWERTOOLS_METRICS_NAMESPACE: 'Parley',
  LOG_LEVEL: 'INFO',
  // As staging and prod run (runtimeSourceMaps off): no --enable-source-maps. BENCH_SOURCE_MAPS=1
  // measures dev's functions, which read the bundle's source map at start.
  ...(process.env.BENCH_SOURCE_MAPS === '1' ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
  AWS_REGION: 'eu-west-1',
  AWS_DEFAULT_REGION: 'eu-west-1',
  AWS_LAMBDA_FUNCTION_NAME: `parley-bench-${group}`,
  AWS_LAMBDA_FUNCTION_VERSION: '1',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
  AWS_LAMBDA_LOG_FORMAT: 'JSON',
  AWS_LAMBDA_LOG_LEVEL: 'INFO',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  AWS_ACCESS_KEY_ID: 'bench-access-key-id',
  AWS_SECRET_ACCESS_KEY: 'bench/bench/bench/bench/bench/bench/bench0',
  AWS_SESSION_TOKEN: 'bench-session-token',
  AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
  // Nothing listens there: segments sent over UDP are simply lost.
  AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
  _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
});

/**
 * The child: imports the module, notes the time since process start, then (for bundles) invokes
 * it once; the last stdout line is the result. Whatever the bundle logs comes before it.
 */
const CHILD = `
globalThis.awslambda ??= { streamifyResponse: (h) => h, HttpResponseStream: { from: (s, prelude) => { globalThis.benchStatus = prelude.statusCode; return s; } } };
const { Writable } = await import('node:stream');
const mod = await import(process.env.BENCH_MODULE);
const init = performance.now();
const { user, system } = process.cpuUsage();
let first = null;
if (process.env.BENCH_EVENT) {
  const event = JSON.parse(process.env.BENCH_EVENT);
  const context = { functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: '1',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:bench', memoryLimitInMB: '1024',
    awsRequestId: 'bench', logGroupName: 'bench', logStreamName: 'bench', callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 29000, done() {}, fail() {}, succeed() {} };
  const started = performance.now();
  if (process.env.BENCH_STREAMING) {
    const sink = new Writable({ write(_c, _e, cb) { cb(); } });
    await mod.handler(event, sink, context);
  } else globalThis.benchStatus = (await mod.handler(event, context)).statusCode;
  first = performance.now() - started;
}
process.stdout.write('\\n' + JSON.stringify({ cold: init, cpu: (user + system) / 1000, first, status: globalThis.benchStatus ?? null }) + '\\n');
process.exit(0);
`;

/**
 * The child of the first-call measure: loads the transport (nothing for the global fetch; the
 * built node-fetch.mjs otherwise), then times one POST and the read of its answer.
 */
const FIRST_CALL_CHILD = `
const send = process.env.BENCH_TRANSPORT ? (await import(process.env.BENCH_TRANSPORT)).nodeFetch : fetch;
const started = performance.now();
const answer = await send(process.env.BENCH_URL, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
await answer.text();
process.stdout.write('\\n' + JSON.stringify({ first: performance.now() - started }) + '\\n');
process.exit(0);
`;

/** One first call in a fresh process (asynchronously: the server answering it is in this one). */
function firstCallOnce(env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--input-type=module', '-e', FIRST_CALL_CHILD],
      { env: { PATH: process.env.PATH, ...env }, timeout: 30_000 },
      (error, stdout) => {
        const line = stdout.trim().split('\n').at(-1) ?? '';
        if (error || !line.startsWith('{"first":')) reject(error ?? new Error(`first call: ${stdout}`));
        else resolve((JSON.parse(line) as { first: number }).first);
      },
    ),
  );
}

/** The first-call measure: ROUNDS pairs, taking turns, against a loopback server answering `{}`. */
async function firstCall(dir: string): Promise<ColdStartResult['firstCall']> {
  const transport = join(dir, 'node-fetch.mjs');
  await build(esbuildOptions('functions/shared/aws/node-fetch.ts', transport));
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const fetchMs: number[] = [];
    const nodeFetchMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const viaFetch = () => firstCallOnce({ BENCH_URL: url }).then((ms) => fetchMs.push(ms));
      const viaNode = () =>
        firstCallOnce({ BENCH_URL: url, BENCH_TRANSPORT: pathToFileURL(transport).href }).then((ms) =>
          nodeFetchMs.push(ms),
        );
      if (round % 2 === 0) await viaFetch().then(viaNode);
      else await viaNode().then(viaFetch);
    }
    return { fetchMs: median(fetchMs), nodeFetchMs: median(nodeFetchMs) };
  } finally {
    server.close();
  }
}

/** An API Gateway REST proxy event for the group's first route, without a token. */
export function firstRouteEvent(group: HandlerGroup) {
  const route = routes.find((r) => r.group === group);
  if (!route) throw new Error(`no route in ${group}`);
  const path = route.path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
  return {
    streaming: route.streaming === true,
    event: {
      resource: route.path,
      path,
      httpMethod: route.method,
      headers: { Origin: 'https://chat.example.com', Accept: 'application/json' },
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      body: route.method === 'GET' ? null : '{}',
      isBase64Encoded: false,
      requestContext: { requestId: 'bench-first', path, httpMethod: route.method, stage: 'api' },
    },
    route: `${route.method} ${route.path}`,
  };
}

export interface Sample {
  readonly cold: number;
  /** CPU time (user + system, all threads) up to the module evaluated: steadier than wall time on a busy machine. */
  readonly cpu: number;
  readonly first: number | null;
  /** The first request's status: a 5xx means the bundle is broken, and its figures are not kept. */
  readonly status: number | null;
}

export function runOnce(file: string, env: NodeJS.ProcessEnv): Sample {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], {
    env: { ...env, BENCH_MODULE: pathToFileURL(file).href },
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = result.stdout
    ?.trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{"cold":'));
  if (result.status !== 0 || !line)
    throw new Error(`${file}: exit ${result.status}\n${result.stderr}\n${result.stdout?.slice(-2000)}`);
  const sample = JSON.parse(line) as Sample;
  if (sample.status !== null && sample.status >= 500)
    throw new Error(`${file}: the first request answered ${sample.status}`);
  return sample;
}

/** The five largest packages of a bundle, by their bytes in the output (after minification). */
function largestPackages(metafile: Metafile): { name: string; kb: number }[] {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      // The innermost node_modules names the package (nested copies count as their own).
      const at = input.lastIndexOf('node_modules/');
      const name = at < 0 ? '(parley)' : (/^(@[^/]+\/[^/]+|[^/]+)/.exec(input.slice(at + 13))?.[1] ?? input);
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, bytes]) => ({ name, kb: Math.round(bytes / 1024) }));
}

export interface ColdStartRow {
  readonly bundle: string;
  readonly bytes: number;
  readonly coldMs: number;
  readonly ratio: number;
  readonly cpuMs: number;
  readonly cpuRatio: number;
  readonly firstRequestMs: number | null;
  readonly largest: { name: string; kb: number }[];
}

export interface ColdStartResult {
  readonly rows: ColdStartRow[];
  /**
   * The first call over HTTP of a new process, median ms: Node's global `fetch` (undici, loaded on
   * that call) against `nodeFetch` (node-fetch.ts on node:http(s), what the functions call AWS and
   * the JWKS with), built as the functions are.
   */
  readonly firstCall: { readonly fetchMs: number; readonly nodeFetchMs: number };
  /** Bytes of each file built beside index.mjs (the same in every group), loaded only when needed. */
  readonly chunks: Record<string, number>;
}

export async function coldStart(): Promise<ColdStartResult> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-cold-'));
  try {
    const empty = join(dir, 'empty.mjs');
    await writeFile(empty, EMPTY_MODULE);
    const built = await Promise.all(
      HANDLER_GROUPS.map(async (group) => {
        const outfile = join(dir, group, 'index.mjs');
        const result = await build({
          ...esbuildOptions(`functions/${group}/lambda.ts`, outfile),
          metafile: true,
        });
        // The files AppFunction builds beside index.mjs (the tracer, loaded when tracing is on).
        for (const [file, entry] of Object.entries(LAMBDA_CHUNKS))
          await build(esbuildOptions(entry, join(dir, group, file)));
        return {
          group,
          outfile,
          metafile: result.metafile,
          bytes: (await stat(outfile)).size,
          ...firstRouteEvent(group),
        };
      }),
    );
    const chunks = Object.fromEntries(
      await Promise.all(
        Object.keys(LAMBDA_CHUNKS).map(
          async (file) => [file, (await stat(join(dir, 'health', file))).size] as const,
        ),
      ),
    );
    const samples = new Map<string, Sample[]>([
      ['empty module', []],
      ...built.map((b) => [b.group, []] as [string, Sample[]]),
    ]);
    for (let round = 0; round < ROUNDS; round++) {
      samples.get('empty module')?.push(runOnce(empty, lambdaEnv('empty')));
      for (const b of built)
        samples.get(b.group)?.push(
          runOnce(b.outfile, {
            ...lambdaEnv(b.group),
            BENCH_EVENT: JSON.stringify(b.event),
            ...(b.streaming ? { BENCH_STREAMING: '1' } : {}),
          }),
        );
    }
    const emptyMs = median((samples.get('empty module') ?? []).map((s) => s.cold));
    const emptyCpuMs = median((samples.get('empty module') ?? []).map((s) => s.cpu));
    const rows: ColdStartRow[] = [
      {
        bundle: 'empty module',
        bytes: EMPTY_MODULE.length,
        coldMs: emptyMs,
        ratio: 1,
        cpuMs: emptyCpuMs,
        cpuRatio: 1,
        firstRequestMs: null,
        largest: [],
      },
      ...built.map((b) => {
        const s = samples.get(b.group) ?? [];
        const coldMs = median(s.map((x) => x.cold));
        const cpuMs = median(s.map((x) => x.cpu));
        return {
          bundle: b.group,
          bytes: b.bytes,
          coldMs,
          ratio: coldMs / emptyMs,
          cpuMs,
          cpuRatio: cpuMs / emptyCpuMs,
          firstRequestMs: median(s.map((x) => x.first ?? Number.NaN)),
          largest: largestPackages(b.metafile),
        };
      }),
    ];
    return { rows, chunks, firstCall: await firstCall(dir) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The table, one row per bundle. */
export function printColdStart({ rows, chunks, firstCall }: ColdStartResult): void {
  console.log(
    `\nBundles and cold start (built as the CDK app builds them; median of ${ROUNDS} fresh processes each, taking turns; Node ${process.version}, ${process.env.BENCH_SOURCE_MAPS === '1' ? "dev's --enable-source-maps" : 'no --enable-source-maps, as in staging and prod'})`,
  );
  console.log(
    'bundle'.padEnd(14),
    'bytes'.padStart(10),
    'cold init ms'.padStart(13),
    '× empty'.padStart(8),
    'CPU ms'.padStart(8),
    '× empty'.padStart(8),
    '1st request ms'.padStart(15),
    '  five largest packages (KB in the bundle)',
  );
  for (const r of rows)
    console.log(
      r.bundle.padEnd(14),
      r.bytes.toLocaleString('en').padStart(10),
      r.coldMs.toFixed(1).padStart(13),
      r.ratio.toFixed(2).padStart(8),
      r.cpuMs.toFixed(1).padStart(8),
      r.cpuRatio.toFixed(2).padStart(8),
      (r.firstRequestMs === null ? '' : r.firstRequestMs.toFixed(1)).padStart(15),
      ' ',
      r.largest.map((p) => `${p.name} ${p.kb}`).join(', '),
    );
  for (const [file, bytes] of Object.entries(chunks))
    console.log(
      `beside each index.mjs: ${file}, ${bytes.toLocaleString('en')} bytes (loaded only when tracing is on)`,
    );
  console.log('targets: at most 350 KB (358,400 bytes) per bundle, cold init at most 3.6 × the empty module');
  console.log('(cold init: process start to module evaluated, wall clock; CPU: the same span in CPU time)');
  console.log(
    `first call over HTTP of a new process (a POST to loopback, median of ${ROUNDS}): global fetch ${firstCall.fetchMs.toFixed(1)} ms, node-fetch.ts (the functions' AWS and JWKS calls) ${firstCall.nodeFetchMs.toFixed(1)} ms`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await coldStart();
  printColdStart(rows);
  const result = {
    bench: 'cold-start',
    at: new Date().toISOString(),
    node: process.version,
    rounds: ROUNDS,
    rows,
  };
  // Also as a file, for tools (BENCH_JSON_DIR, or the temporary directory).
  const file = join(process.env.BENCH_JSON_DIR ?? tmpdir(), 'parley-cold-start.json');
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written: ${file}`);
  console.log(JSON.stringify(result));
}
