import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';

import { newAdminCredentials, saveAdminCredentials, type AdminCredentials } from './cognito-access';
import { CognitoApiError, type InvokeTrigger, type LocalMail, type TriggerName } from './cognito-api';
import {
  credentials,
  EMULATOR_TRIGGERS,
  REGION,
  startEmulator,
  stopChild,
  waitForHealth,
  writeEmulatorConfig,
} from './cognito-emulator';
import { emulatorTriggers } from './cognito-origin';
import { emulatorStoredCode } from './cognito-password-reset';
import { answerFailure, createCognitoProxy, PREFLIGHT_HEADERS } from './cognito-proxy';
import { ensurePool } from './cognito-user-pool';
import { freePort } from './free-port';

export type { InvokeTrigger, TriggerName } from './cognito-api';

export interface LocalCognitoOptions {
  /** Where the emulator keeps its data (`.cognito/`) and we keep `ids.json`. */
  readonly dataDir: string;
  /** The proxy's port on 127.0.0.1. @default 0 (ephemeral) */
  readonly port?: number;
  /** The only origin CORS allows (the local web app). */
  readonly webOrigin: string;
  /** Runs one of our real Cognito trigger handlers with the event, resolving to its result. */
  readonly invokeTrigger: InvokeTrigger;
  /** Hide the emulator's log. @default false */
  readonly quiet?: boolean;
  /**
   * Print on stdout what Cognito would e-mail (an invitation's temporary password, a password-reset
   * code), as `[cognito] …` lines: the local stack sends no e-mail. @default !quiet
   */
  readonly printMail?: boolean;
  /**
   * REQUIRED: every user sets up TOTP at their first sign-in (the MFA_SETUP challenge), as a pool
   * with MFA on. OPTIONAL: anyone may sign in with a password alone; the API then refuses admins
   * and auditors without MFA (`MFA_REQUIRED_ROLES`, which the dev server sets for this mode).
   * @default 'REQUIRED'
   */
  readonly mfa?: 'REQUIRED' | 'OPTIONAL';
  /** The clock for the lifetimes of codes and temporary passwords (tests). @default Date.now */
  readonly now?: () => number;
}

export interface LocalCognito {
  /** The proxy's URL: what clients, Amplify and the token issuer use. */
  readonly endpoint: string;
  readonly region: string;
  readonly userPoolId: string;
  readonly clientId: string;
  /** cognito-local has no client-credentials grant: never set locally. */
  readonly machineClientId?: string;
  /** `${endpoint}/${userPoolId}`: the tokens' `iss`. */
  readonly issuer: string;
  readonly jwksUri: string;
  /** An SDK client pointed at the proxy (so our gap-filling applies to it too), signing admin calls. */
  readonly admin: CognitoIdentityProviderClient;
  /**
   * What admin calls must be signed with: made at this start, kept in `<dataDir>/admin-credentials.json`
   * (owner-only) for the users command, and set as this process's AWS credentials until `stop()`,
   * as the Lambda runtime gives a function its role's (the admin API's Cognito client reads them).
   */
  readonly adminCredentials: AdminCredentials;
  /**
   * The last password-reset code sent to `email` (Cognito would e-mail it; the local stack prints
   * it when `printMail`, and keeps it here), or undefined.
   */
  resetCodeFor(email: string): string | undefined;
  /** The temporary password of the last invitation sent to `email` (as resetCodeFor), or undefined. */
  invitationFor(email: string): string | undefined;
  stop(): Promise<void>;
}

/**
 * Starts cognito-local (a child process, loopback only) behind our proxy, with our triggers wired
 * in, and the user pool, SPA client and role groups created on first start (ids kept in
 * `<dataDir>/ids.json`).
 */
export async function startLocalCognito(options: LocalCognitoOptions): Promise<LocalCognito> {
  const cognitoDir = join(options.dataDir, '.cognito');
  mkdirSync(cognitoDir, { recursive: true });
  const servers: Server[] = [];
  let child: ChildProcess | undefined;
  const killChild = () => child?.kill('SIGKILL');

  try {
    const groupOverrides = new Map<string, { groups: string[]; at: number }>();
    const lambda = await listen(
      createServer(lambdaEndpoint(emulatorTriggers(options.invokeTrigger), groupOverrides)),
      0,
    );
    servers.push(lambda.server);

    // The proxy listens first (its URL is the token issuer the emulator needs); it answers once ready.
    const ready: { handle?: (req: IncomingMessage, res: ServerResponse) => Promise<void> } = {};
    const proxy = await listen(
      createServer((req, res) => {
        // handle answers its own errors; the catch is the last guard, as an unhandled rejection
        // would end the whole local stack (and leave its PostgreSQL running).
        if (ready.handle) ready.handle(req, res).catch((error: unknown) => answerFailure(res, error));
        else answerStarting(req, res, options.webOrigin);
      }),
      options.port ?? 0,
    );
    servers.push(proxy.server);
    const endpoint = `http://127.0.0.1:${proxy.port}`;

    const emulatorPort = await freePort();
    const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
    writeEmulatorConfig(cognitoDir, {
      port: emulatorPort,
      lambdaEndpoint: `http://127.0.0.1:${lambda.port}`,
      issuerDomain: endpoint,
    });

    child = startEmulator(options.dataDir, emulatorPort, options.quiet ?? false);
    process.once('exit', killChild);
    await waitForHealth(emulatorUrl, child);

    const direct = new CognitoIdentityProviderClient({ endpoint: emulatorUrl, region: REGION, credentials });
    const ids = await ensurePool(direct, join(options.dataDir, 'ids.json'));
    direct.destroy();

    /** The last mail of each kind to each address. */
    const mailbox = new Map<string, string>();
    const adminCredentials = newAdminCredentials();
    saveAdminCredentials(options.dataDir, adminCredentials);
    const restoreEnv = useAsProcessCredentials(adminCredentials);

    ready.handle = createCognitoProxy({
      emulatorUrl,
      endpoint,
      userPoolId: ids.userPoolId,
      clientId: ids.clientId,
      webOrigin: options.webOrigin,
      invokeTrigger: options.invokeTrigger,
      signOutFile: join(options.dataDir, 'signed-out.json'),
      groupOverrides,
      adminCredentials,
      mfa: options.mfa ?? 'REQUIRED',
      ...(options.now ? { now: options.now } : {}),
      storedResetCode: emulatorStoredCode(join(options.dataDir, '.cognito', 'db', `${ids.userPoolId}.json`)),
      onMail: (mail) => {
        mailbox.set(mailKey(mail.kind, mail.email), mail.secret);
        if (options.printMail ?? !options.quiet)
          process.stdout.write(
            `[cognito] ${MAIL_LINES[mail.kind](mail)} (the local stack sends no e-mail)\n`,
          );
      },
    });

    const admin = new CognitoIdentityProviderClient({
      endpoint,
      region: REGION,
      credentials: adminCredentials,
    });
    const issuer = `${endpoint}/${ids.userPoolId}`;
    const running = child;
    let stopped = false;
    return {
      endpoint,
      region: REGION,
      userPoolId: ids.userPoolId,
      clientId: ids.clientId,
      issuer,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      admin,
      adminCredentials,
      resetCodeFor: (email) => mailbox.get(mailKey('reset-code', email)),
      invitationFor: (email) => mailbox.get(mailKey('invitation', email)),
      async stop() {
        if (stopped) return;
        stopped = true;
        admin.destroy();
        restoreEnv();
        process.removeListener('exit', killChild);
        await Promise.all([stopChild(running), ...servers.map(close)]);
      },
    };
  } catch (error) {
    process.removeListener('exit', killChild);
    if (child) await stopChild(child);
    await Promise.all(servers.map(close));
    throw error;
  }
}

/** Seconds a client waits before asking the local Cognito again while it starts. */
export const STARTING_RETRY_AFTER_SECONDS = 1;

/**
 * The proxy's answer until the emulator behind it is up: 503 in Cognito's error shape (what the
 * SDK and Amplify read; both take a 503 for a moment to wait), with Retry-After, nosniff, and
 * CORS for the web origin (its preflight passed), so the web app reads it instead of meeting a
 * network error.
 */
export function answerStarting(req: IncomingMessage, res: ServerResponse, webOrigin: string): void {
  req.resume();
  res.setHeader('Vary', 'Origin');
  if (req.headers.origin === webOrigin) {
    res.setHeader('Access-Control-Allow-Origin', webOrigin);
    // The web app's calls are preflighted: the preflight passes (as it will once started), so
    // the call itself reaches this answer and the app reads it.
    if (req.method === 'OPTIONS') {
      res.statusCode = 204;
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', PREFLIGHT_HEADERS);
      res.end();
      return;
    }
    res.setHeader(
      'Access-Control-Expose-Headers',
      'x-amzn-requestid, x-amzn-errortype, x-amzn-errormessage, retry-after',
    );
  }
  res.setHeader('Retry-After', String(STARTING_RETRY_AFTER_SECONDS));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  answerFailure(
    res,
    new CognitoApiError(
      'ServiceUnavailableException',
      'The local Cognito is starting; try again in a moment.',
      503,
    ),
  );
}

/** How `npm start` shows what Cognito would have e-mailed. */
const MAIL_LINES: Record<LocalMail['kind'], (mail: LocalMail) => string> = {
  invitation: ({ email, secret }) => `Invitation for ${email}: temporary password ${secret}`,
  'reset-code': ({ email, secret }) => `Password reset code for ${email}: ${secret}`,
};

const mailKey = (kind: LocalMail['kind'], email: string) => `${kind} ${email.trim().toLowerCase()}`;

/** Sets the process's AWS credentials (environment) to `credentials`; returns the undo. */
function useAsProcessCredentials(credentials: AdminCredentials): () => void {
  const names = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;
  const before = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  return () => {
    for (const name of names) {
      const value = before[name];
      if (value !== undefined) process.env[name] = value;
      else Reflect.deleteProperty(process.env, name);
    }
  };
}

// -----------------------------------------------------------------------------------------------
// The Lambda endpoint cognito-local invokes (AWS SDK v2 Lambda.invoke, RequestResponse)

function lambdaEndpoint(
  invoke: InvokeTrigger,
  groupOverrides: Map<string, { groups: string[]; at: number }>,
) {
  return (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
      const name = match?.[1] ? (decodeURIComponent(match[1]) as TriggerName) : undefined;
      if (req.method !== 'POST' || !name || !EMULATOR_TRIGGERS.includes(name)) {
        res.statusCode = 404;
        res.end(JSON.stringify({ Type: 'User', message: `Function not found: ${name ?? req.url}` }));
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      res.setHeader('content-type', 'application/json');
      try {
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { userName?: string };
        if (name !== 'PreTokenGeneration') {
          res.statusCode = 200;
          res.end(JSON.stringify((await invoke(name, event)) ?? {}));
          return;
        }
        const result = (await invoke(name, poolTokenEvent(event))) as PoolTokenResult | undefined;
        const groups =
          result?.response?.claimsAndScopeOverrideDetails?.groupOverrideDetails?.groupsToOverride;
        if (event.userName) {
          if (Array.isArray(groups)) groupOverrides.set(event.userName, { groups, at: Date.now() });
          else groupOverrides.delete(event.userName);
        }
        // Back to the emulator in the version it sent (it applies no group override itself).
        res.statusCode = 200;
        res.end(
          JSON.stringify({
            ...event,
            response: {
              claimsOverrideDetails: Array.isArray(groups)
                ? { groupOverrideDetails: { groupsToOverride: groups } }
                : {},
            },
          }),
        );
      } catch (error) {
        // What Lambda answers for a function that threw: 200 with X-Amz-Function-Error.
        res.statusCode = 200;
        res.setHeader('X-Amz-Function-Error', 'Unhandled');
        const err = error instanceof Error ? error : new Error(String(error));
        res.end(JSON.stringify({ errorType: err.name, errorMessage: err.message }));
      }
    })().catch(() => {
      // The caller went away mid-body (the read rejects): no one is left to answer, and a
      // rejection left unhandled would end the whole local stack.
      res.destroy();
    });
  };
}

interface PoolTokenResult {
  response?: {
    claimsAndScopeOverrideDetails?: { groupOverrideDetails?: { groupsToOverride?: unknown } } | null;
  };
}

/**
 * The pre-token-generation event the deployed pool sends (its trigger is V2_0,
 * `lib/stacks/auth-stack.ts`), made from the emulator's V1-shaped one (version "0"): version "2",
 * the access token's scopes (a person's sign-in: `aws.cognito.signin.user.admin`), the group
 * configuration's three fields, and `claimsAndScopeOverrideDetails: null` to answer in. So the
 * local stack runs the trigger on the event and the answer shape the pool uses.
 */
export function poolTokenEvent(event: Record<string, unknown>): Record<string, unknown> {
  const request = (event.request ?? {}) as Record<string, unknown>;
  const groups = (request.groupConfiguration ?? {}) as Record<string, unknown>;
  return {
    ...event,
    version: '2',
    request: {
      ...request,
      groupConfiguration: {
        groupsToOverride: Array.isArray(groups.groupsToOverride) ? groups.groupsToOverride : [],
        iamRolesToOverride: Array.isArray(groups.iamRolesToOverride) ? groups.iamRolesToOverride : [],
        preferredRole: typeof groups.preferredRole === 'string' ? groups.preferredRole : null,
      },
      scopes: ['aws.cognito.signin.user.admin'],
    },
    response: { claimsAndScopeOverrideDetails: null },
  };
}

// -----------------------------------------------------------------------------------------------

function listen(server: Server, port: number): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
