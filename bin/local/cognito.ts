import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import {
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  SetUserPoolMfaConfigCommand,
} from '@aws-sdk/client-cognito-identity-provider';

import { PASSWORD_POLICY as passwordPolicy } from '../../lib/config/password-policy';
import { createCognitoProxy, type InvokeTrigger, type TriggerName } from './cognito-proxy';

export type { InvokeTrigger, TriggerName } from './cognito-proxy';

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
  /** An SDK client pointed at the proxy (so our gap-filling applies to it too). */
  readonly admin: CognitoIdentityProviderClient;
  stop(): Promise<void>;
}

interface Ids {
  readonly userPoolId: string;
  readonly clientId: string;
}

/** cognito-local reports this region in its ARNs; pool ids are `local_…`. */
const REGION = 'local';
const ROLE_GROUPS = [
  { GroupName: 'admins', Description: 'Administrators: manage users, roles and quotas', Precedence: 1 },
  { GroupName: 'auditors', Description: 'Read the audit log and usage reports', Precedence: 2 },
  { GroupName: 'members', Description: 'Chat', Precedence: 3 },
] as const;
/** Triggers cognito-local calls itself; PreAuthentication it never calls, the proxy does. */
const EMULATOR_TRIGGERS: readonly TriggerName[] = [
  'PostAuthentication',
  'PostConfirmation',
  'PreTokenGeneration',
];
const STARTUP_TIMEOUT_MS = 30_000;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

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
    const lambda = await listen(createServer(lambdaEndpoint(options.invokeTrigger, groupOverrides)), 0);
    servers.push(lambda.server);

    // The proxy listens first (its URL is the token issuer the emulator needs); it answers once ready.
    const ready: { handle?: (req: IncomingMessage, res: ServerResponse) => Promise<void> } = {};
    const proxy = await listen(
      createServer((req, res) => {
        if (ready.handle) void ready.handle(req, res);
        else {
          res.statusCode = 503;
          res.end('{"message":"starting"}');
        }
      }),
      options.port ?? 0,
    );
    servers.push(proxy.server);
    const endpoint = `http://127.0.0.1:${proxy.port}`;

    const emulatorPort = await freePort();
    const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
    writeFileSync(
      join(cognitoDir, 'config.json'),
      JSON.stringify(
        {
          LambdaClient: { endpoint: `http://127.0.0.1:${lambda.port}`, region: REGION, credentials },
          TriggerFunctions: Object.fromEntries(EMULATOR_TRIGGERS.map((name) => [name, name])),
          UserPoolDefaults: { UsernameAttributes: ['email'] },
          // Without it `iss` is http://localhost:9229/<pool> whatever port anything runs on.
          TokenConfig: { IssuerDomain: endpoint },
          ServerConfig: { port: emulatorPort, hostname: '127.0.0.1', https: false, development: false },
        },
        null,
        2,
      ),
    );

    child = startEmulator(options.dataDir, emulatorPort, options.quiet ?? false);
    process.once('exit', killChild);
    await waitForHealth(emulatorUrl, child);

    const direct = new CognitoIdentityProviderClient({ endpoint: emulatorUrl, region: REGION, credentials });
    const ids = await ensurePool(direct, join(options.dataDir, 'ids.json'));
    direct.destroy();

    ready.handle = createCognitoProxy({
      emulatorUrl,
      endpoint,
      userPoolId: ids.userPoolId,
      clientId: ids.clientId,
      webOrigin: options.webOrigin,
      invokeTrigger: options.invokeTrigger,
      signOutFile: join(options.dataDir, 'signed-out.json'),
      groupOverrides,
    });

    const admin = new CognitoIdentityProviderClient({ endpoint, region: REGION, credentials });
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
      async stop() {
        if (stopped) return;
        stopped = true;
        admin.destroy();
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
        const result = await invoke(name, event);
        if (name === 'PreTokenGeneration' && event.userName) {
          const groups = (result as PreTokenResult | undefined)?.response?.claimsOverrideDetails
            ?.groupOverrideDetails?.groupsToOverride;
          if (Array.isArray(groups)) groupOverrides.set(event.userName, { groups, at: Date.now() });
          else groupOverrides.delete(event.userName);
        }
        res.statusCode = 200;
        res.end(JSON.stringify(result ?? {}));
      } catch (error) {
        // What Lambda answers for a function that threw: 200 with X-Amz-Function-Error.
        res.statusCode = 200;
        res.setHeader('X-Amz-Function-Error', 'Unhandled');
        const err = error instanceof Error ? error : new Error(String(error));
        res.end(JSON.stringify({ errorType: err.name, errorMessage: err.message }));
      }
    })();
  };
}

interface PreTokenResult {
  response?: { claimsOverrideDetails?: { groupOverrideDetails?: { groupsToOverride?: unknown } } };
}

// -----------------------------------------------------------------------------------------------
// The emulator process

function startEmulator(dataDir: string, port: number, quiet: boolean): ChildProcess {
  const require = createRequire(import.meta.url);
  const script = require.resolve('cognito-local/lib/bin/start.js');
  // The emulator exits when our end of its stdin closes: also when we die without cleaning up.
  const watchdog = `data:text/javascript,${encodeURIComponent(
    "process.stdin.on('end',()=>process.exit(0)).on('error',()=>process.exit(0)).resume()",
  )}`;
  const child = spawn(process.execPath, [`--import=${watchdog}`, script], {
    cwd: dataDir,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DEBUG: '',
      NODE_OPTIONS: '',
      // The emulator is built on the AWS SDK v2, which prints an end-of-support notice at start.
      AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
      NODE_NO_WARNINGS: '1',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (prefix: string) => (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail.push(text);
    if (tail.length > 50) tail.shift();
    if (!quiet) process.stdout.write(text.replace(/^(?=.)/gm, prefix));
  };
  child.stdout?.on('data', keep('[cognito] '));
  child.stderr?.on('data', keep('[cognito] '));
  (child as ChildProcess & { logTail: () => string }).logTail = () => tail.join('');
  return child;
}

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  const tail = () => (child as ChildProcess & { logTail?: () => string }).logTail?.() ?? '';
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`cognito-local exited (code ${exited}) while starting:\n${tail()}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `cognito-local did not answer ${url}/health within ${STARTUP_TIMEOUT_MS / 1000} s:\n${tail()}`,
  );
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

// -----------------------------------------------------------------------------------------------
// The user pool, created once

async function ensurePool(client: CognitoIdentityProviderClient, idsFile: string): Promise<Ids> {
  const saved = readIds(idsFile);
  if (saved && (await poolExists(client, saved))) return saved;

  const { UserPool } = await client.send(
    new CreateUserPoolCommand({
      PoolName: 'parley-local',
      UsernameAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: false },
      AutoVerifiedAttributes: ['email'],
      MfaConfiguration: 'OPTIONAL',
      Policies: {
        PasswordPolicy: {
          MinimumLength: passwordPolicy.minLength,
          RequireLowercase: passwordPolicy.requireLowercase,
          RequireUppercase: passwordPolicy.requireUppercase,
          RequireNumbers: passwordPolicy.requireDigits,
          RequireSymbols: passwordPolicy.requireSymbols,
          TemporaryPasswordValidityDays: passwordPolicy.tempPasswordValidityDays,
        },
      },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Schema: [{ Name: 'name', AttributeDataType: 'String', Mutable: true }],
    }),
  );
  const userPoolId = UserPool?.Id;
  if (!userPoolId) throw new Error('cognito-local created no user pool');
  await client.send(
    new SetUserPoolMfaConfigCommand({
      UserPoolId: userPoolId,
      MfaConfiguration: 'OPTIONAL',
      SoftwareTokenMfaConfiguration: { Enabled: true },
    }),
  );
  const { UserPoolClient } = await client.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: 'parley-web',
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
      AccessTokenValidity: 60,
      IdTokenValidity: 60,
      RefreshTokenValidity: 30,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
    }),
  );
  const clientId = UserPoolClient?.ClientId;
  if (!clientId) throw new Error('cognito-local created no app client');
  for (const group of ROLE_GROUPS) {
    await client.send(new CreateGroupCommand({ UserPoolId: userPoolId, ...group }));
  }
  const ids: Ids = { userPoolId, clientId };
  writeFileSync(idsFile, JSON.stringify(ids, null, 2));
  return ids;
}

function readIds(file: string): Ids | undefined {
  try {
    const ids = JSON.parse(readFileSync(file, 'utf8')) as Partial<Ids>;
    return ids.userPoolId && ids.clientId
      ? { userPoolId: ids.userPoolId, clientId: ids.clientId }
      : undefined;
  } catch {
    return undefined;
  }
}

async function poolExists(client: CognitoIdentityProviderClient, ids: Ids): Promise<boolean> {
  try {
    await client.send(new DescribeUserPoolCommand({ UserPoolId: ids.userPoolId }));
    await client.send(
      new DescribeUserPoolClientCommand({ UserPoolId: ids.userPoolId, ClientId: ids.clientId }),
    );
    return true;
  } catch {
    return false;
  }
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

async function freePort(): Promise<number> {
  const { server, port } = await listen(createServer(), 0);
  await close(server);
  return port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
