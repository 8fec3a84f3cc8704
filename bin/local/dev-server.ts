import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';

import type { Role } from '../../functions/shared/domain/roles';
import { getConfig, resetConfig } from '../../functions/shared/config';
import {
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnauthorizedError,
  ValidationError,
  type DomainError,
} from '../../functions/shared/errors';
import { DEFAULT_OPENAI_BASE_URL } from '../../functions/chat/adapters/openai-chat-model';
import { API_HEADERS } from '../../functions/shared/http/headers';
import { problemFor } from '../../functions/shared/http/problem';
import { loggableError } from '../../functions/shared/loggable-error';
import { bearerToken, createTokenVerifier, type TokenVerifier } from '../../functions/shared/http/auth';
import type { ApiEvent } from '../../functions/shared/http/types';
import type { HandlerGroup } from '#api/index';
import type { BannerInput } from './banner';
import { freePort } from './free-port';
import {
  lambdaContext,
  matchRoute,
  overLambdaResponseLimit,
  readBody,
  toProxyEvent,
  writeResult,
} from './gateway';
import { apiHandler, invokeTrigger, type ApiHandler } from './handlers';
import { buildWebAppIfMissing, webAppHandler } from './static-files';
import {
  installLambdaStreamingGlobals,
  invokeStreaming,
  isStreamingHandler,
  type StreamingHandler,
} from './streaming';

/** Ports and folder are required: `npm start` takes them, with their defaults, from start-options.ts. */
export interface DevServerOptions {
  /** HTTP port for the web app and API; 0 picks a free one (`npm start`: PORT, 3000). */
  readonly port: number;
  /** Port of the local Cognito endpoint; 0 picks a free one (`npm start`: COGNITO_PORT, 9229). */
  readonly cognitoPort: number;
  /** Where local state lives: database, emulator data, local.json (`npm start`: PARLEY_DATA_DIR, .parley). */
  readonly dataDir: string;
  /** Less output (tests). */
  readonly quiet?: boolean;
  /** Create the first admin when there is none. @default true */
  readonly bootstrapAdmin?: boolean;
  /**
   * TOTP for everyone at sign-in (`REQUIRED`, enrolment at the first one), or only for admins and
   * auditors (`OPTIONAL`, as a stage that lets members skip it: the API then refuses them 403
   * mfa-required until their TOTP is on, through MFA_REQUIRED_ROLES, set to what every AWS stage
   * uses unless the environment sets it). @default 'REQUIRED'
   */
  readonly mfa?: 'REQUIRED' | 'OPTIONAL';
  /**
   * Run the retention run (functions/conversations/retention) once started and every day after,
   * as the deployed schedule does. Off unless asked (`npm start` asks): it erases old deleted
   * conversations from the whole database, which a test database shares. @default false
   */
  readonly retention?: boolean;
  /**
   * Minutes without activity before the web app signs the person out, as the stage's
   * `web.idleSignOutMinutes` (0: never; fractions for tests). @default 30
   */
  readonly idleSignOutMinutes?: number;
  /**
   * Cancels the start (`npm start` on a signal): checked between steps, as a step under way (initdb,
   * a build) cannot be cut short without leaving its part half made. The start then stops what it
   * had started and rejects with the signal's reason.
   */
  readonly signal?: AbortSignal;
}

export interface DevServer {
  readonly url: string;
  readonly cognitoEndpoint: string;
  readonly userPoolId: string;
  readonly clientId: string;
  readonly databaseUrl: string;
  /** An SDK client for the local user pool (through the proxy). */
  readonly cognitoAdmin: CognitoIdentityProviderClient;
  /** What the start banner shows: the services and, on the first start, the admin created. */
  readonly banner: BannerInput;
  createUser(input: {
    email: string;
    password: string;
    role: Role;
  }): Promise<{ id: string; email: string; role: string; totpSecret?: string }>;
  /** The last password-reset code sent to `email` (see LocalCognito). */
  resetCodeFor(email: string): string | undefined;
  /** The temporary password of the last invitation sent to `email` (see LocalCognito). */
  invitationFor(email: string): string | undefined;
  stop(): Promise<void>;
}

/** API Gateway refuses payloads over 10 MB before Lambda sees them. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;
/** The emulator's region, used until the emulator reports its own. */
const REGION = 'local';

/** The web app's idle sign-out when none is asked for (the stages' default too). */
export const DEFAULT_IDLE_SIGN_OUT_MINUTES = 30;

/** The roles the API refuses without TOTP on AWS (functions/shared/config.ts, deployed stages). */
const AWS_MFA_REQUIRED_ROLES: readonly Role[] = ['admins', 'auditors'];

/** The retention run's interval locally (on AWS: a daily schedule). */
const RETENTION_INTERVAL_MS = 24 * 60 * 60_000;

/** How long one part of the stack may take to stop before the next one goes on. */
const STOP_TIMEOUT_MS = 15_000;

/** Waits for `work` at most `ms`; undefined when it finished, else what went wrong, in words. */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`gave up after ${ms / 1000} s`), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Stops each part in reverse order of start, whatever state the others are in: one that fails or
 * hangs (a child that died, a server gone) is reported in a line and the rest still stop.
 */
export async function stopInReverse(
  stops: readonly (() => Promise<void>)[],
  timeoutMs = STOP_TIMEOUT_MS,
): Promise<void> {
  for (const stop of [...stops].reverse()) {
    const problem = await settleWithin(stop(), timeoutMs);
    if (problem) console.error(`While stopping: ${problem}`);
  }
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
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const log = (message: string) => {
    if (!options.quiet) console.log(message);
  };
  const stops: (() => Promise<void>)[] = [];
  // A second call finds nothing left to stop.
  const stopAll = () => stopInReverse(stops.splice(0));
  const goOn = () => options.signal?.throwIfAborted();

  try {
    goOn();
    // 1. PostgreSQL: the given server, or embedded PostgreSQL 16 kept under the data folder.
    // One server per data folder: a live owner is refused; a dead one's leftovers are cleaned up.
    await claimDataDir(dataDir);
    stops.push(() => rm(join(dataDir, 'stack.pid'), { force: true }));

    let databaseUrl = process.env.DATABASE_URL;
    const embeddedDatabase = !databaseUrl;
    if (!databaseUrl) {
      const { startEmbeddedPostgres } = await import('./embedded-postgres');
      const server = await startEmbeddedPostgres({
        dataDir: join(dataDir, 'postgres'),
        port: await freePort(),
        stopOrphan: true,
      });
      stops.push(server.stop);
      databaseUrl = server.url;
      goOn();
    }
    const { closeDatabase, createDatabase } = await import('../../functions/shared/db/database');
    // Last before PostgreSQL stops (stops run in reverse): any pool still open (a handler's own,
    // one made after the close below) is ended, so the server's shutdown cuts no connection.
    stops.push(async () => {
      const { endOpenPools } = await import('../../functions/shared/db/pg-pool');
      await endOpenPools();
    });
    // The handlers' own pool and cache (opened on first request) close before the database stops.
    stops.push(async () => {
      await closeDatabase();
      const { closeCache } = await import('../../functions/shared/cache/get-cache');
      await closeCache();
    });
    const { migrateToLatest } = await import('../../functions/shared/db/migrator');
    const db = createDatabase({ DB_DRIVER: 'pg', DATABASE_URL: databaseUrl, DB_POOL_MAX: 4 });
    stops.push(() => db.destroy());
    await migrateToLatest(db);
    goOn();

    // 2. The HTTP server listens first, so the web origin is known to the emulator's CORS. Until
    // everything is up it answers 503 "starting" (a request must never hang on an open port).
    const http = localHttpServer();
    const server = http.server;
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(options.port, '127.0.0.1', ok);
    });
    stops.push(() => http.close());
    goOn();
    const port = (server.address() as AddressInfo).port;
    const url = `http://127.0.0.1:${port}`;

    // 3. The handlers' configuration, as Lambda would get it from the stack.
    Object.assign(process.env, {
      STAGE: 'local',
      DB_DRIVER: 'pg',
      DATABASE_URL: databaseUrl,
      WEB_ORIGIN: url,
      AWS_REGION: REGION,
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
    });
    // Sign-in lets anyone skip TOTP: the API must hold admins and auditors to it, as it does on
    // every AWS stage (the configuration's default there; locally it defaults to none). A value
    // the developer set wins; the one set here goes at the stop, for a later start in this process.
    if (options.mfa === 'OPTIONAL' && process.env.MFA_REQUIRED_ROLES === undefined) {
      process.env.MFA_REQUIRED_ROLES = AWS_MFA_REQUIRED_ROLES.join(',');
      stops.push(async () => {
        delete process.env.MFA_REQUIRED_ROLES;
      });
    }

    // 4. Cognito: the emulator behind our proxy, with our real trigger handlers.
    const { startLocalCognito } = await import('./cognito');
    const cognito = await startLocalCognito({
      dataDir: join(dataDir, 'cognito'),
      port: options.cognitoPort,
      webOrigin: url,
      invokeTrigger,
      mfa: options.mfa,
      // The emulator's own log (colour codes, its internal port) stays out of the banner; it is
      // kept and shown if the emulator fails to start.
      quiet: true,
      // What Cognito would e-mail is shown instead (the README's invitations and reset codes).
      printMail: !options.quiet,
    });
    stops.push(() => cognito.stop());
    goOn();
    Object.assign(process.env, {
      COGNITO_USER_POOL_ID: cognito.userPoolId,
      COGNITO_CLIENT_IDS: [cognito.clientId, cognito.machineClientId].filter(Boolean).join(','),
      COGNITO_ENDPOINT: cognito.endpoint,
    });
    resetConfig();
    const api = apiGateway(createTokenVerifier(getConfig()));
    // What the Lambda runtime provides to streaming handlers (awslambda.streamifyResponse, …).
    installLambdaStreamingGlobals();

    // 5. The web app: built on first start if needed.
    const webRoot = resolve('web/dist');
    await buildWebAppIfMissing(webRoot, log);
    goOn();
    const webApp = webAppHandler({
      root: webRoot,
      cognitoEndpoint: cognito.endpoint,
      config: {
        region: cognito.region,
        userPoolId: cognito.userPoolId,
        clientId: cognito.clientId,
        cognitoEndpoint: cognito.endpoint,
        apiUrl: '/api',
        idleSignOutMinutes: options.idleSignOutMinutes ?? DEFAULT_IDLE_SIGN_OUT_MINUTES,
      },
    });

    http.open(localRequestListener({ origin: url, api, webApp }));

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

    const { createLocalUser } = await import('./users');
    const createUser: DevServer['createUser'] = (input) => createLocalUser({ cognito, db }, input);

    let firstAdmin: BannerInput['firstAdmin'];
    if (options.bootstrapAdmin ?? true) {
      const admin = await db.selectFrom('users').select('id').where('role', '=', 'admins').executeTakeFirst();
      if (!admin) {
        const password = generatePassword();
        const created = await createUser({ email: 'admin@parley.local', password, role: 'admins' });
        firstAdmin = { email: created.email, password, totpSecret: created.totpSecret };
      }
    }
    goOn();
    if (options.retention) {
      const { runRetention } = await import('../../functions/conversations/retention/handler');
      const { localRetentionRun } = await import('./retention-run');
      const run = localRetentionRun(() => runRetention(() => Number.POSITIVE_INFINITY));
      await run();
      goOn();
      const daily = setInterval(() => void run(), RETENTION_INTERVAL_MS);
      daily.unref();
      stops.push(async () => clearInterval(daily));
    }
    // First of the stops: requests in progress (a chat reply being written) finish while the
    // database, cache and Cognito they use are still there.
    stops.push(async () => {
      await http.drain();
    });
    const config = getConfig();
    const banner: BannerInput = {
      url,
      cognitoEndpoint: cognito.endpoint,
      userPoolId: cognito.userPoolId,
      databaseUrl,
      embeddedDatabase,
      redisUrl: config.REDIS_URL,
      model: config.OPENAI_API_KEY
        ? {
            kind: 'openai',
            baseUrl: config.OPENAI_BASE_URL ?? DEFAULT_OPENAI_BASE_URL,
            name: config.OPENAI_MODEL,
          }
        : { kind: 'offline' },
      firstAdmin,
    };

    return {
      url,
      cognitoEndpoint: cognito.endpoint,
      userPoolId: cognito.userPoolId,
      clientId: cognito.clientId,
      databaseUrl,
      cognitoAdmin: cognito.admin,
      banner,
      createUser,
      resetCodeFor: (email) => cognito.resetCodeFor(email),
      invitationFor: (email) => cognito.invitationFor(email),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** What the local server does with a request once everything is up. */
export interface LocalRoutes {
  /** The server's own origin, `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** `/api` and everything under it. */
  readonly api: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;
  /** Any other path: the web app's files, its index and `/config.json`. */
  readonly webApp: (path: string, res: ServerResponse) => Promise<void>;
}

/**
 * `/api` and below go to the gateway, anything else to the web app. A request target that is no
 * path (`//`) is a 400. A failure before the answer started is a 500 problem+json; one after it
 * cuts the connection, so the client sees a broken answer instead of waiting for the rest.
 */
export function localRequestListener({ origin, api, webApp }: LocalRoutes) {
  // Settles when the request's work is done (a streamed reply included), never rejects: the
  // server waits on it when it stops.
  return (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    return (async () => {
      // Node's HTTP server sets `url` on every request it parses.
      const requestUrl = URL.parse(req.url as string, origin);
      if (!requestUrl) {
        req.resume();
        return gatewayError(res, new ValidationError([{ path: 'url', message: 'not a path' }]));
      }
      const path = requestUrl.pathname;
      if (path === '/api' || path.startsWith('/api/')) return api(req, res, requestUrl);
      return webApp(path, res);
    })().catch((error: unknown) => {
      // Under the id the client is given, and as the API's log lines write an error (no fields
      // a driver attached: a failing row, a request's headers).
      const requestId = randomUUID();
      console.error('Local server error', { requestId, error: loggableError(error) });
      if (!res.headersSent) gatewayError(res, new Error('local server error'), requestId);
      else res.destroy();
    });
  };
}

/**
 * API Gateway in front of the handlers: the route table, the 10 MB limit and the Cognito
 * authorizer answer before any function runs, as they do on AWS.
 */
export function apiGateway(
  verifier: TokenVerifier,
  loadHandler: (group: HandlerGroup) => Promise<ApiHandler | StreamingHandler> = apiHandler,
) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    // Node's HTTP server sets `method` on every request it parses.
    const matched = matchRoute(req.method as string, url.pathname);
    if (!matched || matched === 'methodNotAllowed')
      return gatewayError(res, new NotFoundError('No such route.'));
    const body = await readBody(req, GATEWAY_MAX_BODY);
    if (!body) return gatewayError(res, new PayloadTooLargeError('The body is over 10 MB.'));
    let claims: Record<string, unknown> | undefined;
    if (matched.route.access !== 'public') {
      // The Cognito authorizer: no valid access token, no function call.
      const token = bearerToken(req.headers as Record<string, string | undefined>);
      if (!token)
        return gatewayError(res, new UnauthorizedError('Send a Cognito access token as a Bearer token.'));
      try {
        claims = { ...(await verifier.verify(token)) };
      } catch {
        return gatewayError(res, new UnauthorizedError('The access token is invalid or expired.'));
      }
    }
    const event = toProxyEvent({ req, url, body, matched, claims, stage: 'local' });
    const handler = await loadHandler(matched.route.group);
    const context = lambdaContext(`parley-local-${matched.route.group}`, event.requestContext.requestId);
    // Streaming routes (ResponseTransferMode.STREAM on AWS) write chunks as they come.
    if (isStreamingHandler(handler)) return invokeStreaming(handler, event, res, context);
    const result = await handler(event as ApiEvent, context);
    // As Lambda: a buffered answer over 6 MB fails the invocation, which API Gateway answers with
    // its DEFAULT_5XX response, pinned to 500 (lib/constructs/problem-responses.ts).
    if (overLambdaResponseLimit(result)) {
      console.error(`Local server: ${matched.route.id} answered over Lambda's 6 MB buffered limit`);
      return gatewayError(res, new Error('response over the Lambda limit'));
    }
    return writeResult(res, result);
  };
}

/** An error API Gateway itself answers, in the API's problem+json shape and headers. */
function gatewayError(res: ServerResponse, error: DomainError | Error, requestId = randomUUID()): void {
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
}

/** Writes `<dataDir>/stack.pid`, refusing when the process named there is still alive. */
export async function claimDataDir(dataDir: string): Promise<void> {
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

/**
 * How long a stop lets requests in progress finish before cutting them: a chat reply goes on
 * writing after its client left, and one cut short stays `streaming` (its conversation refuses new
 * messages until the reply counts as abandoned). Ample for the offline model (a few seconds at
 * most), and under STOP_TIMEOUT_MS, the time one stop step gets.
 */
export const DRAIN_TIMEOUT_MS = 10_000;

/** The local HTTP server, from "starting" through serving to stopping. */
export interface LocalHttpServer {
  readonly server: Server;
  /** Serves with `listener` (until then every request is a 503 "starting" with Retry-After). */
  open(listener: (req: IncomingMessage, res: ServerResponse) => Promise<void>): void;
  /**
   * Takes no new connection, answers new requests on open ones 503 "stopping" with Retry-After,
   * and waits for the requests in progress, at most `timeoutMs`. Resolves to how many are left.
   */
  drain(timeoutMs?: number): Promise<number>;
  /** Drains at once (no wait), cuts every connection left and resolves once the server is closed. */
  close(): Promise<void>;
}

export function localHttpServer(): LocalHttpServer {
  let listener: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
  const inFlight = new Set<Promise<void>>();
  let closed: Promise<void> | undefined;
  const server = createServer((req, res) => {
    if (closed || !listener) {
      req.resume();
      // A client sending more on this connection would only meet the same answer.
      if (closed) res.shouldKeepAlive = false;
      const error = closed
        ? new ServiceUnavailableError('Parley is stopping; try again in a moment.', 5)
        : new ServiceUnavailableError('Parley is starting; try again in a moment.', 1);
      return gatewayError(res, error);
    }
    const work = listener(req, res);
    inFlight.add(work);
    const done = () => void inFlight.delete(work);
    work.then(done, done);
  });
  // server.close() once: the drain starts it (it also ends the idle keep-alive connections) and
  // close() awaits the same promise after cutting the rest (a second call would only fail with
  // ERR_SERVER_NOT_RUNNING).
  const stopAccepting = () => (closed ??= new Promise<void>((ok) => server.close(() => ok())));

  async function drain(timeoutMs = DRAIN_TIMEOUT_MS): Promise<number> {
    void stopAccepting();
    if (inFlight.size) await settleWithin(Promise.allSettled([...inFlight]), timeoutMs);
    return inFlight.size;
  }

  return {
    server,
    open(next) {
      listener = next;
    },
    drain,
    async close() {
      const left = await drain(0);
      if (left) console.error(`While stopping: ${left} request(s) still in progress were cut off`);
      server.closeAllConnections();
      await closed;
    },
  };
}
