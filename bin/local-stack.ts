import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import type { HandlerGroup } from '../functions/api/routes';
import type { Role } from '../functions/shared/domain/roles';
import { resetConfig } from '../functions/shared/config';
import {
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
  type DomainError,
} from '../functions/shared/errors';
import { API_HEADERS } from '../functions/shared/http/headers';
import { problemFor } from '../functions/shared/http/problem';
import { bearerToken, createTokenVerifier } from '../functions/shared/http/auth';
import type { ApiEvent } from '../functions/shared/http/types';
import { lambdaContext, matchRoute, readBody, toProxyEvent, writeResult } from './local/gateway';
import { installLambdaStreamingGlobals, invokeStreaming, isStreamingHandler } from './local/streaming';

export interface LocalStackOptions {
  /** HTTP port for the web app and API; 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** Port of the local Cognito endpoint; 0 picks a free one. @default 9229 */
  readonly cognitoPort?: number;
  /** Where local state lives (database, emulator data, local.json). @default .parley */
  readonly dataDir?: string;
  /** Less output (tests). */
  readonly quiet?: boolean;
  /** Create the first admin when there is none. @default true */
  readonly bootstrapAdmin?: boolean;
}

export interface LocalStack {
  readonly url: string;
  readonly cognitoEndpoint: string;
  readonly userPoolId: string;
  readonly clientId: string;
  readonly databaseUrl: string;
  /** An SDK client for the local user pool (through the proxy). */
  readonly cognitoAdmin: CognitoIdentityProviderClient;
  createUser(input: {
    email: string;
    password: string;
    role: Role;
  }): Promise<{ id: string; email: string; role: string; totpSecret?: string }>;
  stop(): Promise<void>;
}

const execFileAsync = promisify(execFile);

/** API Gateway refuses payloads over 10 MB before Lambda sees them. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;
/** The emulator's region, used until the emulator reports its own. */
const REGION = 'local';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

/** A strong random password that satisfies the pool's policy. */
export function generatePassword(): string {
  return `${randomBytes(12).toString('base64url')}aA1!`;
}

/**
 * The whole of Parley on one machine: PostgreSQL, the cache, the Cognito emulator with our
 * triggers, and one HTTP server that serves the web app at `/` and the API at `/api/*` by calling
 * the very handler modules that deploy to Lambda.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = resolve(options.dataDir ?? '.parley');
  await mkdir(dataDir, { recursive: true });
  const log = (message: string) => {
    if (!options.quiet) console.log(message);
  };
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((e: unknown) => console.error(e));
  };

  try {
    // 1. PostgreSQL: the given server, or embedded PostgreSQL 16 kept under the data folder.
    // One stack per data folder: a live owner is refused; a dead one's leftovers are cleaned up.
    await claimDataDir(dataDir);
    stops.push(() => rm(join(dataDir, 'stack.pid'), { force: true }));

    let databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      const { startEmbeddedPostgres } = await import('../functions/shared/db/embedded');
      const server = await startEmbeddedPostgres({
        dataDir: join(dataDir, 'postgres'),
        port: await freePort(),
        stopOrphan: true,
      });
      stops.push(server.stop);
      databaseUrl = server.url;
      log(`PostgreSQL (embedded) on ${databaseUrl.replace(/\/\/[^@]*@/, '//')}`);
    }
    const { closeDatabase, createDatabase } = await import('../functions/shared/db/database');
    // The handlers' own pool and cache (opened on first request) close before the database stops.
    stops.push(async () => {
      await closeDatabase();
      const { closeCache } = await import('../functions/shared/cache/get-cache');
      await closeCache();
    });
    const { migrateToLatest } = await import('../functions/shared/db/migrator');
    const db = createDatabase({ DB_DRIVER: 'pg', DATABASE_URL: databaseUrl, DB_POOL_MAX: 4 });
    stops.push(() => db.destroy());
    await migrateToLatest(db);

    // 2. The HTTP server listens first, so the web origin is known to the emulator's CORS.
    const server = createServer();
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(options.port ?? 3000, '127.0.0.1', ok);
    });
    stops.push(() => closeServer(server));
    const port = (server.address() as AddressInfo).port;
    const url = `http://127.0.0.1:${port}`;

    // 3. The handlers' configuration, as Lambda would get it from the stack.
    const baseEnv = {
      STAGE: 'local',
      DB_DRIVER: 'pg',
      DATABASE_URL: databaseUrl,
      WEB_ORIGIN: url,
      AWS_REGION: REGION,
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
    };
    Object.assign(process.env, baseEnv);

    // 4. Cognito: the emulator behind our proxy, with our real trigger handlers.
    const { startLocalCognito } = await import('./local/cognito');
    const cognito = await startLocalCognito({
      dataDir: join(dataDir, 'cognito'),
      port: options.cognitoPort ?? 9229,
      webOrigin: url,
      invokeTrigger: (name, event) => invokeTrigger(name, event),
      quiet: options.quiet,
    });
    stops.push(() => cognito.stop());
    Object.assign(process.env, {
      COGNITO_USER_POOL_ID: cognito.userPoolId,
      COGNITO_CLIENT_IDS: [cognito.clientId, cognito.machineClientId].filter(Boolean).join(','),
      COGNITO_ENDPOINT: cognito.endpoint,
    });
    resetConfig();
    const { getConfig } = await import('../functions/shared/config');
    const config = getConfig();
    const verifier = createTokenVerifier(config);

    const handlers = new Map<
      HandlerGroup,
      (event: ApiEvent, context: Context) => Promise<APIGatewayProxyResult>
    >();
    // What the Lambda runtime provides to streaming handlers (awslambda.streamifyResponse, …).
    installLambdaStreamingGlobals();
    const handlerFor = async (group: HandlerGroup) => {
      let handler = handlers.get(group);
      if (!handler) {
        const module = (await import(`../functions/${group}/handlers/index.ts`)) as {
          handler: (event: ApiEvent, context: Context) => Promise<APIGatewayProxyResult>;
        };
        handler = module.handler;
        handlers.set(group, handler);
      }
      return handler;
    };

    // 5. The web app: built on first start if needed.
    const webRoot = resolve('web/dist');
    if (!existsSync(join(webRoot, 'index.html'))) {
      log('Building the web app (first start)…');
      // A separate process with NODE_ENV=production: inside a test runner (NODE_ENV=test) an
      // in-process build would ship React's development build.
      await execFileAsync(
        process.execPath,
        [
          resolve('node_modules/vite/bin/vite.js'),
          'build',
          '--config',
          resolve('web/vite.config.ts'),
          '--logLevel',
          'warn',
        ],
        { env: { ...process.env, NODE_ENV: 'production' } },
      );
    }
    const webConfig = {
      region: cognito.region,
      userPoolId: cognito.userPoolId,
      clientId: cognito.clientId,
      cognitoEndpoint: cognito.endpoint,
      apiUrl: '/api',
    };
    const webHeaders = {
      'Content-Security-Policy': [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        `connect-src 'self' ${cognito.endpoint}`,
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
      ].join('; '),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
    };

    const gatewayError = (res: ServerResponse, error: DomainError | Error) => {
      const requestId = randomUUID();
      const result = problemFor(error, requestId);
      writeResult(res, {
        ...result,
        headers: {
          ...result.headers,
          ...API_HEADERS,
          'Cache-Control': 'no-store',
          'X-Request-Id': requestId,
        },
      });
    };

    server.on('request', (req, res) => {
      void (async () => {
        const requestUrl = new URL(req.url ?? '/', url);
        const path = requestUrl.pathname;
        if (path === '/api' || path.startsWith('/api/')) {
          const matched = matchRoute(req.method ?? 'GET', path);
          if (!matched || matched === 'methodNotAllowed')
            return gatewayError(res, new NotFoundError('No such route.'));
          const body = await readBody(req, GATEWAY_MAX_BODY);
          if (!body) return gatewayError(res, new PayloadTooLargeError('The body is over 10 MB.'));
          let claims: Record<string, unknown> | undefined;
          if (matched.route.access !== 'public') {
            // The Cognito authorizer: no valid access token, no function call.
            const token = bearerToken(req.headers as Record<string, string | undefined>);
            if (!token)
              return gatewayError(
                res,
                new UnauthorizedError('Send a Cognito access token as a Bearer token.'),
              );
            try {
              claims = { ...(await verifier.verify(token)) };
            } catch {
              return gatewayError(res, new UnauthorizedError('The access token is invalid or expired.'));
            }
          }
          const event = toProxyEvent({ req, url: requestUrl, body, matched, claims, stage: 'local' });
          const handler = await handlerFor(matched.route.group);
          const context = lambdaContext(
            `parley-local-${matched.route.group}`,
            event.requestContext.requestId,
          );
          // Streaming routes (ResponseTransferMode.STREAM on AWS) write chunks as they come.
          if (isStreamingHandler(handler)) return invokeStreaming(handler, event, res, context);
          const result = await handler(event as ApiEvent, context);
          return writeResult(res, result);
        }
        if (path === '/config.json') {
          res.writeHead(200, {
            ...webHeaders,
            'Content-Type': CONTENT_TYPES['.json'],
            'Cache-Control': 'no-cache',
          });
          return res.end(JSON.stringify(webConfig));
        }
        return serveStatic(webRoot, path, res, webHeaders);
      })().catch((error: unknown) => {
        console.error('Local server error', error);
        if (!res.headersSent) gatewayError(res, new Error('local server error'));
        else res.destroy();
      });
    });

    const localJson = {
      apiUrl: `${url}/api`,
      webUrl: url,
      cognitoEndpoint: cognito.endpoint,
      region: cognito.region,
      userPoolId: cognito.userPoolId,
      clientId: cognito.clientId,
      databaseUrl,
    };
    await writeFile(join(dataDir, 'local.json'), `${JSON.stringify(localJson, null, 2)}\n`, { mode: 0o600 });

    const { createLocalUser } = await import('./local/users');
    const createUser: LocalStack['createUser'] = (input) => createLocalUser({ cognito, db }, input);

    if (options.bootstrapAdmin ?? true) {
      const admin = await db.selectFrom('users').select('id').where('role', '=', 'admins').executeTakeFirst();
      if (!admin) {
        const password = generatePassword();
        const created = await createUser({ email: 'admin@parley.local', password, role: 'admins' });
        console.log(
          [
            '',
            'First start: an admin was created. These credentials are shown once:',
            `  email:       ${created.email}`,
            `  password:    ${password}`,
            `  TOTP secret: ${created.totpSecret ?? '(none)'}  (add it to an authenticator app)`,
            '',
          ].join('\n'),
        );
      }
    }

    return {
      url,
      cognitoEndpoint: cognito.endpoint,
      userPoolId: cognito.userPoolId,
      clientId: cognito.clientId,
      databaseUrl,
      cognitoAdmin: cognito.admin,
      createUser,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Writes `<dataDir>/stack.pid`, refusing when the process named there is still alive. */
async function claimDataDir(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'stack.pid');
  const previous = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10);
  if (Number.isInteger(previous) && previous > 0 && previous !== process.pid) {
    let alive = true;
    try {
      process.kill(previous, 0);
    } catch {
      alive = false;
    }
    if (alive) throw new Error(`Parley is already running from ${dataDir} (pid ${previous}); stop it first`);
  }
  await writeFile(pidFile, String(process.pid));
}

const TRIGGER_MODULES = {
  PreAuthentication: 'pre-authentication',
  PostAuthentication: 'post-authentication',
  PostConfirmation: 'post-confirmation',
  PreTokenGeneration: 'pre-token-generation',
} as const;

/** Cognito's Lambda triggers, called in process with the event Cognito would send. */
async function invokeTrigger(name: keyof typeof TRIGGER_MODULES, event: unknown): Promise<unknown> {
  const module = (await import(`../functions/auth/triggers/${TRIGGER_MODULES[name]}.ts`)) as {
    handler: (event: unknown, context: Context) => Promise<unknown>;
  };
  return module.handler(event, lambdaContext(`parley-local-${TRIGGER_MODULES[name]}`, randomUUID(), 5000));
}

async function serveStatic(
  root: string,
  path: string,
  res: ServerResponse,
  headers: Record<string, string>,
): Promise<void> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    decoded = '/';
  }
  const candidate = resolve(root, `.${decoded}`);
  // Never outside the build folder; anything unknown is the SPA's (client-side routes).
  const inside = candidate === root || candidate.startsWith(root + sep);
  let file = join(root, 'index.html');
  if (inside && extname(candidate)) {
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isFile()) file = candidate;
    else {
      res.writeHead(404, { ...headers, 'Content-Type': CONTENT_TYPES['.txt'] });
      return void res.end('Not found');
    }
  }
  const content = await readFile(file);
  const immutable = file.includes(`${sep}assets${sep}`);
  res.writeHead(200, {
    ...headers,
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  res.end(content);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((ok) => {
    server.close(() => ok());
    server.closeAllConnections();
  });
}
