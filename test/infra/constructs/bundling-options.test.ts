import { build, type Metafile } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HANDLER_GROUPS, type HandlerGroup } from '#shared/http/route';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectOneAnswer, startDataApiTestServer } from '../../support/aws/data-api-test-server';
import {
  chunkCommands,
  esbuildOptions,
  LAMBDA_BUNDLING,
  LAMBDA_CHUNKS,
} from '../../../lib/constructs/bundling-options';

/**
 * What the Lambda bundles hold, built with the options the CDK app builds them with (one esbuild
 * build per API function, in parallel, metafile only). app-function.test.ts shows that CDK's own
 * bundling gives the very same file.
 */
const run = promisify(execFile);
let outdir = '';
const metafiles = new Map<HandlerGroup, Metafile>();

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'parley-bundle-inputs-'));
  await Promise.all(
    HANDLER_GROUPS.map(async (group) => {
      const result = await build({
        ...esbuildOptions(`functions/${group}/lambda.ts`, join(outdir, group, 'index.mjs')),
        metafile: true,
        write: false,
      });
      metafiles.set(group, result.metafile);
    }),
  );
}, 120_000);

afterAll(() => rm(outdir, { recursive: true, force: true }));

const metafileOf = (group: HandlerGroup): Metafile => {
  const metafile = metafiles.get(group);
  if (!metafile) throw new Error(`no build of ${group}`);
  return metafile;
};

/** Files the bundle holds at all (any byte of them in the output). */
function bundled(metafile: Metafile): string[] {
  return Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path),
  );
}

/**
 * Files evaluated when the bundle is imported: reachable from the entry through `import`
 * statements and `require()` calls. A dynamic `import()` leads to code that runs only when called.
 */
function evaluatedAtImport(metafile: Metafile, entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const path = stack.pop() as string;
    if (seen.has(path)) continue;
    seen.add(path);
    for (const edge of metafile.inputs[path]?.imports ?? [])
      if (!edge.external && (edge.kind === 'import-statement' || edge.kind === 'require-call'))
        stack.push(edge.path);
  }
  return seen;
}

const CREDENTIAL_CHAIN =
  /node_modules\/@aws-sdk\/(credential-provider-(node|ini|sso|process|web-identity|login|http)|nested-clients|token-providers)\//;
const PG = /node_modules\/(pg|pg-pool|pg-protocol|pg-types|pg-connection-string|pgpass)\//;
const XRAY = /node_modules\/(aws-xray-sdk-core|cls-hooked)\//;
const KYSELY = /node_modules\/kysely(-data-api)?\//;
const AWS_SDK = /node_modules\/(@aws-sdk|@smithy|@aws-crypto)\//;
/** The functions whose only AWS API is the Data API (chat and admin call Secrets Manager, Cognito). */
const DATA_API_ONLY: readonly HandlerGroup[] = ['health', 'users', 'conversations', 'exports'];

describe('the Lambda bundles', () => {
  it('are built as NodejsFunction builds them: minified ESM for Node 24, module before main', () => {
    const options = esbuildOptions('functions/health/lambda.ts', 'index.mjs');
    expect(options).toMatchObject({
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      mainFields: ['module', 'main'],
      external: [],
      define: { 'process.env.PARLEY_BUNDLE': '"lambda"' },
    });
    expect(options.banner?.js).toBe(LAMBDA_BUNDLING.banner);
  });

  it('leave pg and the query builder out: on Lambda our Data API driver runs the SQL', () => {
    for (const group of HANDLER_GROUPS) {
      const files = bundled(metafileOf(group));
      expect(
        files.filter((f) => PG.test(f)),
        group,
      ).toEqual([]);
      // kysely was 147 KB and ~10 ms of every cold start (docs/performance.md); the API's SQL is
      // written in sql.ts templates, and kysely serves only the migrations function.
      expect(
        files.filter((f) => KYSELY.test(f)),
        group,
      ).toEqual([]);
      expect(files, group).toContain('functions/shared/db/data-api-sql.ts');
    }
  });

  it('never evaluate the X-Ray SDK at import: it is in the tracing chunk, which only tracing loads', () => {
    for (const group of HANDLER_GROUPS) {
      const metafile = metafileOf(group);
      const atImport = [...evaluatedAtImport(metafile, `functions/${group}/lambda.ts`)];
      // The walk does reach the rest of the bundle (our code and its dependencies).
      expect(atImport, group).toContain('functions/shared/powertools.ts');
      const xray = (f: string) => XRAY.test(f) || f.includes('@aws-lambda-powertools/tracer/');
      expect(atImport.filter(xray), group).toEqual([]);
      // Not even unevaluated: index.mjs does not carry it at all.
      expect(bundled(metafile).filter(xray), group).toEqual([]);
    }
  });

  it('build the tracing chunk with the same options from the command line (AppFunction) as here', async () => {
    const [command] = chunkCommands(process.cwd(), join(outdir, 'cli'));
    if (!command) throw new Error('no chunk command');
    await run('bash', ['-c', command], { timeout: 60_000 });
    const { outputFiles, metafile } = await build({
      ...esbuildOptions(LAMBDA_CHUNKS['tracing.mjs'], join(outdir, 'cli', 'tracing.mjs')),
      write: false,
      metafile: true,
    });
    const api = outputFiles?.find((f) => f.path.endsWith('tracing.mjs'))?.text;
    expect(api).toBeDefined();
    expect(await readFile(join(outdir, 'cli', 'tracing.mjs'), 'utf8')).toBe(api);
    // And the chunk is where the X-Ray SDK went.
    expect(bundled(metafile).some((f) => XRAY.test(f))).toBe(true);
  }, 60_000);

  it('take node:http with require, never as an ES module import (Node 24 then loads undici for its getters)', async () => {
    // The tracing chunk is where the Powertools Tracer imports node:http.
    const { metafile: chunk } = await build({
      ...esbuildOptions(LAMBDA_CHUNKS['tracing.mjs'], join(outdir, 'http-check', 'tracing.mjs')),
      write: false,
      metafile: true,
    });
    const esmHttp = (metafile: Metafile) =>
      Object.values(metafile.outputs).flatMap((output) =>
        output.imports.filter((i) => /^(node:)?http$/.test(i.path) && i.kind === 'import-statement'),
      );
    expect(bundled(chunk)).toContain('functions/shared/node/http.ts');
    expect(esmHttp(chunk)).toEqual([]);
    for (const group of HANDLER_GROUPS) expect(esmHttp(metafileOf(group)), group).toEqual([]);
  }, 60_000);

  it('carry no credential chain: the clients sign with the credentials Lambda puts in the environment', () => {
    for (const group of HANDLER_GROUPS) {
      const files = bundled(metafileOf(group));
      expect(
        files.filter((f) => CREDENTIAL_CHAIN.test(f)),
        group,
      ).toEqual([]);
      expect(files, group).toContain('functions/shared/aws/lambda-credentials.ts');
    }
  });

  it('talk to the Data API with our client, not the AWS SDK’s (its middleware was the largest part of cold start)', () => {
    for (const group of HANDLER_GROUPS) {
      const files = bundled(metafileOf(group));
      expect(files, group).toContain('functions/shared/aws/data-api-client.ts');
      expect(
        files.filter((f) => f.includes('node_modules/@aws-sdk/client-rds-data/')),
        group,
      ).toEqual([]);
    }
    for (const group of DATA_API_ONLY) {
      expect(
        bundled(metafileOf(group)).filter((f) => AWS_SDK.test(f)),
        group,
      ).toEqual([]);
    }
  });

  it.each(HANDLER_GROUPS)('%s holds no @aws-sdk, @smithy or @aws-crypto module', (group) => {
    // Cognito and Secrets Manager too are called with our clients on fetch (functions/shared/aws).
    const files = bundled(metafileOf(group));
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((f) => AWS_SDK.test(f))).toEqual([]);
  });

  it('call Cognito and Secrets Manager with our awsJson1.1 client (admin, chat)', () => {
    expect(bundled(metafileOf('admin'))).toContain('functions/shared/aws/aws-json-client.ts');
    expect(bundled(metafileOf('chat'))).toContain('functions/shared/aws/aws-json-client.ts');
  });

  it.each(HANDLER_GROUPS)('%s holds zod/mini and no file of zod classic', (group) => {
    // functions/shared/zod.ts: classic zod's chainable API costs ~100 KB a bundle and nearly
    // doubles cold init; only the core, mini and the English locale may be there.
    const files = bundled(metafileOf(group)).filter((path) => path.includes('node_modules/zod/'));
    expect(files.some((path) => path.includes('node_modules/zod/v4/mini/'))).toBe(true);
    expect(files.filter((path) => /node_modules\/zod\/(v4\/classic|v3)\//.test(path))).toEqual([]);
    // Only the English locale (locales/index.js adds the few bytes of an empty namespace object).
    expect(
      files.filter((path) => /\/locales\//.test(path) && !/\/locales\/(en|index)\.js$/.test(path)),
    ).toEqual([]);
  });

  it('sign Data API calls with the environment’s credentials, and only those', async () => {
    // Prepare: the database module bundled as the functions have it, against a loopback Data API
    // that refuses requests not signed with these keys
    const server = await startDataApiTestServer({
      answer: () => selectOneAnswer,
      credentials: {
        accessKeyId: 'ASIABUNDLETEST',
        secretAccessKey: 'bundle-test-secret',
        sessionToken: 'bundle-test-session',
      },
    });
    try {
      const script = join(outdir, 'data-api-call', 'index.mjs');
      await build({
        ...esbuildOptions('unused', script),
        entryPoints: undefined,
        stdin: {
          contents: `
            import { sql } from './functions/shared/db/sql';
            import { createSqlDatabase } from './functions/shared/db/sql-database';
            const db = createSqlDatabase({ DB_DRIVER: 'data-api', DB_CLUSTER_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:parley',
              DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:parley', DB_NAME: 'parley', AWS_REGION: 'eu-west-1' },
              { resumeRetry: { maxElapsedMs: 0 } });
            try { console.log(JSON.stringify((await db.query(sql\`select 1 as one\`)).rows)); }
            catch (error) { console.log(JSON.stringify({ error: error.name })); }`,
          resolveDir: process.cwd(),
          sourcefile: 'data-api-call.ts',
          loader: 'ts',
        },
      });
      const call = async (credentials: Record<string, string>) => {
        const { stdout } = await run(process.execPath, [script], {
          env: {
            PATH: process.env.PATH,
            // A profile and a home with config would be tried first by the SDK's chain.
            HOME: join(outdir, 'no-home'),
            AWS_PROFILE: 'not-used',
            AWS_REGION: 'eu-west-1',
            AWS_ENDPOINT_URL_RDS_DATA: server.url,
            ...credentials,
          },
          timeout: 20_000,
        });
        return JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as unknown;
      };

      // Act
      const signed = await call({
        AWS_ACCESS_KEY_ID: 'ASIABUNDLETEST',
        AWS_SECRET_ACCESS_KEY: 'bundle-test-secret',
        AWS_SESSION_TOKEN: 'bundle-test-session',
      });
      const refused = await call({});

      // Assess
      expect(signed).toEqual([{ one: 1 }]);
      expect(server.refused).toEqual([]);
      expect(server.calls).toHaveLength(1);
      expect(server.calls[0]?.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=ASIABUNDLETEST\/\d{8}\/eu-west-1\/rds-data\/aws4_request/,
      );
      expect(server.calls[0]?.headers['x-amz-security-token']).toBe('bundle-test-session');
      // No credentials in the environment: the call fails before any request (no profile, no metadata endpoint).
      expect(refused).toEqual({ error: 'CredentialsProviderError' });
      expect(server.calls).toHaveLength(1);
      expect(server.refused).toEqual([]);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('install no async hook when tracing is off, and the tracer’s when it is on', async () => {
    // Prepare: the health function as deployed (index.mjs and its tracing chunk)
    const dir = join(outdir, 'health-deployed');
    await build(esbuildOptions('functions/health/lambda.ts', join(dir, 'index.mjs')));
    for (const [file, entry] of Object.entries(LAMBDA_CHUNKS))
      await build(esbuildOptions(entry, join(dir, file)));
    // Counts async_hooks.createHook calls (what the X-Ray SDK's context tracking makes) over
    // the import and one request.
    const script = `
      import asyncHooks from 'node:async_hooks';
      let hooks = 0;
      const createHook = asyncHooks.createHook;
      asyncHooks.createHook = (...args) => { hooks += 1; return createHook(...args); };
      const { handler } = await import(${JSON.stringify(join(dir, 'index.mjs'))});
      const event = { resource: '/api/health', path: '/api/health', httpMethod: 'GET', headers: {},
        requestContext: { requestId: 'hooks' } };
      const response = await handler(event, { awsRequestId: 'hooks', functionName: 'health',
        getRemainingTimeInMillis: () => 29000 });
      console.log(JSON.stringify({ status: response.statusCode, hooks }));`;
    const request = async (tracing: 'true' | 'false') => {
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          PATH: process.env.PATH,
          STAGE: 'dev',
          DB_DRIVER: 'data-api',
          DB_CLUSTER_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:parley',
          DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:parley',
          DB_NAME: 'parley',
          COGNITO_USER_POOL_ID: 'eu-west-1_Test1',
          COGNITO_CLIENT_IDS: 'client',
          WEB_ORIGIN: 'https://chat.example.com',
          AWS_REGION: 'eu-west-1',
          AWS_LAMBDA_FUNCTION_NAME: 'health',
          POWERTOOLS_TRACE_ENABLED: tracing,
          POWERTOOLS_LOG_LEVEL: 'SILENT',
          POWERTOOLS_METRICS_DISABLED: 'true',
          AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
        },
        timeout: 30_000,
      });
      return JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as unknown;
    };

    // Act
    const off = await request('false');
    const on = await request('true');

    // Assess
    expect(off).toEqual({ status: 200, hooks: 0 });
    expect(on).toMatchObject({ status: 200, hooks: expect.any(Number) });
    expect((on as { hooks: number }).hooks).toBeGreaterThan(0);
  }, 60_000);
});
