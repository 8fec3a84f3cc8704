import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { handlerGroups } from '#api/index';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildOptions, LAMBDA_CHUNKS } from '../../../lib/constructs/bundling-options';
import { createParleyApp } from '../../../lib/parley-app';
import {
  ourFunctions,
  resolvedEnvironment,
  resourcesOfType,
  type SynthesizedStage,
  synthesizeStage,
} from '../support';

/**
 * The API functions exactly as `cdk deploy` ships them: the Api stack is synthesized with
 * esbuild bundling on, and each bundle is loaded in a fresh Node 24 process with the environment
 * its template sets, then invoked with an API Gateway event. Catches what only bundling breaks
 * (ESM/CommonJS interop, dynamic requires, files read at run time).
 */
const run = promisify(execFile);
/** The cold-start target of a bundle (`index.mjs`): 350 KB. */
const BUNDLE_MAX_BYTES = 350 * 1024;

interface Fn {
  readonly id: string;
  readonly assetDir: string;
  readonly handler: string;
  readonly env: Record<string, string>;
}

let outdir = '';
let functions: Fn[] = [];

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'parley-bundles-'));
  const { app, stacks } = createParleyApp({
    stage: 'dev',
    outdir,
    // The API functions, and the migrator (in the Schema stack, deployed before them).
    context: {
      'aws:cdk:bundling-stacks': ['**/*Api*', '**/*Schema*'],
      'aws:cdk:enable-asset-metadata': true,
    },
  });
  const assembly = app.synth();
  const resources = [stacks.api, stacks.schema].flatMap((stack) =>
    Object.entries(
      (
        assembly.getStackByName(stack.stackName).template as {
          Resources: Record<
            string,
            { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> }
          >;
        }
      ).Resources,
    ),
  );
  functions = resources
    // Ours: bundled assets whose environment names a Parley service (not CDK's own providers).
    .filter(
      ([, r]) =>
        r.Type === 'AWS::Lambda::Function' &&
        Boolean(r.Metadata?.['aws:asset:path']) &&
        JSON.stringify(r.Properties.Environment ?? {}).includes('POWERTOOLS_SERVICE_NAME'),
    )
    .map(([id, r]) => {
      const variables = ((r.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables ??
        {}) as Record<string, unknown>;
      return {
        id,
        assetDir: join(outdir, r.Metadata?.['aws:asset:path'] ?? ''),
        handler: String(r.Properties.Handler),
        // The cache endpoint is a closed local port: nothing here may reach the network.
        env: resolvedEnvironment(variables, { CACHE_ENDPOINT: '127.0.0.1:1' }),
      };
    });
}, 120_000);

afterAll(() => rm(outdir, { recursive: true, force: true }));

/** The whole stage, every function of it (not only the Api stack's), without bundling. */
let dev: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
});

/** Runs a module script in a fresh Node process with the function's environment and one event. */
function runInLambdaEnvironment(fn: Fn, script: string, event: unknown) {
  return run(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH,
      ...fn.env,
      AWS_REGION: 'eu-west-1',
      AWS_LAMBDA_FUNCTION_NAME: 'bundle-test',
      // No X-Ray daemon here: the tracer must not fail the request for want of one.
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      EVENT: JSON.stringify(event),
    },
  });
}

/** Loads a bundle as Lambda would (`index.handler` → index.mjs) and invokes it with one event. */
async function invoke<T = { statusCode: number; headers: Record<string, string>; body: string }>(
  fn: Fn,
  event: unknown,
): Promise<T> {
  const [file, exported] = fn.handler.split('.');
  const script = `
    const module = await import(${JSON.stringify(join(fn.assetDir, `${file}.mjs`))});
    const context = { awsRequestId: 'bundle-test', functionName: 'bundle-test', getRemainingTimeInMillis: () => 29000 };
    const result = await module[${JSON.stringify(exported)}](JSON.parse(process.env.EVENT), context);
    process.stdout.write(JSON.stringify(result));
  `;
  const { stdout } = await runInLambdaEnvironment(fn, script, event);
  return JSON.parse(stdout) as T;
}

/**
 * Invokes a response-streaming bundle as the Lambda runtime does: with `awslambda` in scope (the
 * runtime's own globals: streamifyResponse, HttpResponseStream.from writing the prelude) and a
 * response stream; returns the prelude and the body written.
 */
async function invokeStreaming(fn: Fn, event: unknown) {
  const [file, exported] = fn.handler.split('.');
  const script = `
    import { Writable } from 'node:stream';
    let prelude;
    const chunks = [];
    globalThis.awslambda = {
      streamifyResponse: (handler) => handler,
      HttpResponseStream: { from: (stream, metadata) => { prelude = metadata; return stream; } },
    };
    const stream = new Writable({ write(chunk, _encoding, done) { chunks.push(Buffer.from(chunk)); done(); } });
    const module = await import(${JSON.stringify(join(fn.assetDir, `${file}.mjs`))});
    const context = { awsRequestId: 'bundle-test', functionName: 'bundle-test', getRemainingTimeInMillis: () => 29000 };
    await module[${JSON.stringify(exported)}](JSON.parse(process.env.EVENT), stream, context);
    process.stdout.write(JSON.stringify({ prelude, body: Buffer.concat(chunks).toString('utf8') }));
  `;
  const { stdout } = await runInLambdaEnvironment(fn, script, event);
  return JSON.parse(stdout) as {
    prelude: { statusCode: number; headers: Record<string, string> };
    body: string;
  };
}

const apiEvent = (method: string, resource: string) => ({
  resource,
  path: resource,
  httpMethod: method,
  headers: {},
  queryStringParameters: null,
  pathParameters: null,
  body: null,
  isBase64Encoded: false,
  requestContext: { requestId: 'req-bundle-1' },
});

describe('the deployed bundles', () => {
  it('bundles one ESM file per API function, with a source map and no Docker', async () => {
    expect(functions.length).toBeGreaterThanOrEqual(3);
    for (const fn of functions) {
      const code = await readFile(join(fn.assetDir, 'index.mjs'), 'utf8');
      expect(code.length, fn.id).toBeGreaterThan(1000);
      expect(code, fn.id).toContain('createRequire');
      const map = JSON.parse(await readFile(join(fn.assetDir, 'index.mjs.map'), 'utf8')) as {
        sourcesContent?: unknown;
      };
      // Source maps name our files for stack traces in the logs, without shipping the sources.
      expect(map.sourcesContent, fn.id).toBeUndefined();
    }
  });

  it('of the API groups are each at most 350 KB (358,400 bytes), the cold-start target bench/cold-start.ts reports', async () => {
    // Bytes are deterministic for a given lock file, so the target is held here as well as
    // reported by the bench: the chat bundle once passed it unnoticed by 329 bytes.
    // The API groups, those the bench measures (the migrator runs once a deploy, off the request path).
    for (const group of handlerGroups) {
      const fn = functions.find((f) => f.env.POWERTOOLS_SERVICE_NAME === group);
      if (!fn) throw new Error(`no ${group} function`);
      const bytes = (await stat(join(fn.assetDir, 'index.mjs'))).size;
      expect(bytes, group).toBeLessThanOrEqual(BUNDLE_MAX_BYTES);
    }
  });

  it('are the very files the bench and the bundle test build (lib/constructs/bundling-options.ts)', async () => {
    for (const group of handlerGroups) {
      const fn = functions.find((f) => f.env.POWERTOOLS_SERVICE_NAME === group);
      if (!fn) throw new Error(`no ${group} function`);
      const { outputFiles } = await build({
        ...esbuildOptions(`functions/${group}/lambda.ts`, join(outdir, 'rebuilt', 'index.mjs')),
        write: false,
      });
      const built = outputFiles?.find((f) => f.path.endsWith('index.mjs'));
      const deployed = await readFile(join(fn.assetDir, 'index.mjs'), 'utf8');
      expect(built?.text.length, group).toBe(deployed.length);
      expect(built?.text === deployed, group).toBe(true);
    }
    // The chunks AppFunction builds beside index.mjs, too.
    const health = functions.find((f) => f.env.POWERTOOLS_SERVICE_NAME === 'health');
    for (const [file, entry] of Object.entries(LAMBDA_CHUNKS)) {
      const { outputFiles } = await build({
        ...esbuildOptions(entry, join(outdir, 'rebuilt', file)),
        write: false,
      });
      const built = outputFiles?.find((f) => f.path.endsWith(file));
      const deployed = await readFile(join(health?.assetDir ?? '', file), 'utf8');
      expect(built?.text === deployed, file).toBe(true);
    }
  }, 120_000);

  it('answers GET /api/health and /api/openapi.json from the health bundle', async () => {
    const health = functions.find((f) => f.env.POWERTOOLS_SERVICE_NAME?.includes('health'));
    if (!health)
      throw new Error(
        `no health function among ${functions.map((f) => f.env.POWERTOOLS_SERVICE_NAME).join(', ')}`,
      );
    const live = await invoke(health, apiEvent('GET', '/api/health'));
    expect(live.statusCode).toBe(200);
    expect(JSON.parse(live.body)).toEqual({ status: 'ok' });
    expect(live.headers['X-Request-Id']).toBe('req-bundle-1');
    const openapi = await invoke(health, apiEvent('GET', '/api/openapi.json'));
    const document = JSON.parse(openapi.body) as {
      openapi: string;
      components: {
        securitySchemes: { machineClient: { flows: { clientCredentials: { tokenUrl: string } } } };
      };
    };
    expect(document.openapi).toBe('3.1.0');
    // The stage's token endpoint, from the function's environment, in place of the placeholder.
    expect(document.components.securitySchemes.machineClient.flows.clientCredentials.tokenUrl).toBe(
      health.env.OAUTH_TOKEN_URL,
    );
    expect(openapi.body).not.toContain('.invalid');
  }, 60_000);

  it('refuses a request without a token in every authenticated bundle, with problem+json', async () => {
    for (const [service, resource] of [
      ['users', '/api/me'],
      ['conversations', '/api/conversations'],
      ['admin', '/api/admin/users'],
    ] as const) {
      const fn = functions.find((f) => f.env.POWERTOOLS_SERVICE_NAME?.includes(service));
      if (!fn) throw new Error(`no ${service} function`);
      const response = await invoke(fn, apiEvent('GET', resource));
      expect(response.statusCode, service).toBe(401);
      expect(response.headers['Content-Type'], service).toBe('application/problem+json');
    }
  }, 60_000);

  it('loads the streaming chat bundle and answers a request without a token with a 401 problem', async () => {
    const chat = functions.find((f) => f.env.POWERTOOLS_SERVICE_NAME?.includes('chat'));
    if (!chat) throw new Error('no chat function');

    const { prelude, body } = await invokeStreaming(
      chat,
      apiEvent('POST', '/api/conversations/{id}/messages'),
    );

    expect(prelude.statusCode).toBe(401);
    expect(prelude.headers['Content-Type']).toBe('application/problem+json');
    expect(prelude.headers['Strict-Transport-Security']).toMatch(/max-age/);
    expect(JSON.parse(body)).toMatchObject({ status: 401, requestId: 'req-bundle-1' });
  }, 60_000);

  it('loads the migrator with its migrations, and leaves the schema alone on a stack delete', async () => {
    const migrator = functions.find((f) => f.env.POWERTOOLS_SERVICE_NAME?.includes('migrations'));
    if (!migrator) throw new Error('no migrations function');
    const result = await invoke<{ PhysicalResourceId: string; Data: { applied: string } }>(migrator, {
      RequestType: 'Delete',
      PhysicalResourceId: 'parley-database-migrations',
    });
    expect(result).toEqual({ PhysicalResourceId: 'parley-database-migrations', Data: { applied: '' } });
    const code = await readFile(join(migrator.assetDir, 'index.mjs'), 'utf8');
    // Every migration is bundled (statically imported): the function reads no folder at run time.
    for (const name of ['0001-users', '0007-audit-events-append-only']) expect(code).toContain(name);
  }, 60_000);
});

describe('functions', () => {
  const ours = () => ourFunctions(dev);

  it('runs every function on arm64, Node.js 24, with active tracing and JSON logs', () => {
    // The API groups, the migrator, the retention run, the four Cognito triggers and the sign-in
    // activity function.
    expect(ours().length).toBe(handlerGroups.length + 7);
    for (const f of ours()) {
      expect(f.props, f.id).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        TracingConfig: { Mode: 'Active' },
      });
      expect((f.props.LoggingConfig as { LogFormat: string }).LogFormat).toBe('JSON');
      expect((f.props.LoggingConfig as { LogGroup?: unknown }).LogGroup, f.id).toBeDefined();
    }
  });

  it('writes each function to the log group Lambda would name after it, /aws/lambda/<function name>', () => {
    // Prepare: every log group of the stage, by stack and logical id.
    const groups = resourcesOfType(dev, 'AWS::Logs::LogGroup');
    const named = (stack: string, ref: unknown) =>
      groups.find((g) => g.stack === stack && g.id === (ref as { Ref?: string }).Ref)?.props.LogGroupName;

    // Act: the group each function logs to, and the name it was given.
    const pairs = ours().map((f) => ({
      id: f.id,
      functionName: f.props.FunctionName,
      logGroupName: named(f.stack, (f.props.LoggingConfig as { LogGroup?: unknown }).LogGroup),
    }));

    // Assess: every function of ours has a fixed name, and the runbook's log group names and
    // Logs Insights prefixes (/aws/lambda/parley-<stage>-…) find its logs.
    expect(pairs.length).toBe(handlerGroups.length + 7);
    for (const p of pairs) {
      expect(p.functionName, p.id).toMatch(/^parley-dev-/);
      expect(p.logGroupName, p.id).toBe(`/aws/lambda/${String(p.functionName)}`);
    }
  });

  it("keeps Lambda's platform lines (START, REPORT: duration, billed duration, memory, init) in the logs", () => {
    // Lambda writes them at INFO: at WARN the runbook's step from a log line to its REPORT line finds nothing.
    for (const f of ours()) {
      expect((f.props.LoggingConfig as { SystemLogLevel?: string }).SystemLogLevel, f.id).toBe('INFO');
    }
  });
});
