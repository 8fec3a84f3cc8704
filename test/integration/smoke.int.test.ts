import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDevServer, type DevServer } from '../../bin/local/dev-server';
import { freePort } from '../../bin/local/free-port';
import { totpCode } from '../../bin/local/users';
import type { Role } from '../../functions/shared/domain/roles';
import {
  clientCredentials,
  formatSmoke,
  main,
  runSmoke,
  smokeOptionsFromEnv,
  type SmokeOptions,
} from '../../bin/smoke';

/**
 * The post-deploy smoke test (`npm run smoke`), run against the local stack as it runs against a
 * stage: the same three requests, with a token from a real sign-in instead of the machine client.
 * Cognito's token endpoint is the one AWS edge faked here, by a small HTTP server.
 */
let server: DevServer;
let dataDir: string;
const PASSWORD = 'Smoke-Test-Password-9';

async function signIn(email: string, totpSecret: string | undefined): Promise<string> {
  const call = async (target: string, body: unknown) => {
    const response = await fetch(server.cognitoEndpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': `AWSCognitoIdentityProviderService.${target}`,
      },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as {
      AuthenticationResult?: { AccessToken: string };
      ChallengeName?: string;
      Session?: string;
      SecretCode?: string;
    };
  };
  const first = await call('InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: server.clientId,
    AuthParameters: { USERNAME: email, PASSWORD },
  });
  if (first.AuthenticationResult) return first.AuthenticationResult.AccessToken;
  if (first.ChallengeName === 'MFA_SETUP') {
    // MFA required of everyone: the first sign-in enrols TOTP, as a person does in the app.
    const associated = await call('AssociateSoftwareToken', { Session: first.Session });
    const verified = await call('VerifySoftwareToken', {
      Session: associated.Session,
      UserCode: totpCode(associated.SecretCode ?? ''),
    });
    const done = await call('RespondToAuthChallenge', {
      ClientId: server.clientId,
      ChallengeName: 'MFA_SETUP',
      Session: verified.Session,
      ChallengeResponses: { USERNAME: email },
    });
    return done.AuthenticationResult?.AccessToken ?? '';
  }
  expect(first.ChallengeName).toBe('SOFTWARE_TOKEN_MFA');
  const second = await call('RespondToAuthChallenge', {
    ClientId: server.clientId,
    ChallengeName: 'SOFTWARE_TOKEN_MFA',
    Session: first.Session,
    ChallengeResponses: { USERNAME: email, SOFTWARE_TOKEN_MFA_CODE: totpCode(totpSecret ?? '') },
  });
  return second.AuthenticationResult?.AccessToken ?? '';
}

async function tokenFor(role: Role): Promise<string> {
  const user = await server.createUser({ email: `smoke-${role}@example.com`, password: PASSWORD, role });
  return signIn(user.email, user.totpSecret);
}

/** Cognito's /oauth2/token as far as the client-credentials grant goes; records what it got. */
async function fakeTokenEndpoint(answer: (req: IncomingMessage, body: string) => [number, unknown]) {
  const seen: { authorization?: string; contentType?: string; body: string }[] = [];
  const endpoint: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
      const [status, json] = answer(req, body);
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/oauth2/token`;
  return { url, seen, close: () => new Promise<void>((resolve) => endpoint.close(() => resolve())) };
}

let memberToken: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parley-smoke-'));
  process.env.DATABASE_URL = inject('databaseUrl');
  server = await startDevServer({
    port: await freePort(),
    cognitoPort: 0,
    dataDir,
    quiet: true,
    bootstrapAdmin: false,
  });
  memberToken = await tokenFor('members');
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const quick = (overrides: Partial<SmokeOptions>): SmokeOptions => ({
  baseUrl: server.url,
  token: async () => memberToken,
  readyAttempts: 2,
  readyDelayMs: 10,
  timeoutMs: 5_000,
  ...overrides,
});

describe('the smoke test against the local stack', () => {
  it('passes its three checks with a member token: ready, a signed-in read, and the web app', async () => {
    const result = await runSmoke(quick({ baseUrl: `${server.url}/` }));
    expect(result.checks.map((c) => [c.name, c.ok])).toEqual([
      ['GET /api/health/ready', true],
      ['GET /api/conversations (signed in)', true],
      ['GET / (web app)', true],
    ]);
    expect(result.checks[1]?.detail).toMatch(/^200 \(request [\w-]+\)$/);
    expect(result.checks[1]?.warning).toBeUndefined();
    expect(result.ok).toBe(true);
  });

  it('passes with a warning when the token is accepted but its role may not read conversations', async () => {
    const result = await runSmoke(quick({ token: async () => tokenFor('auditors') }));
    expect(result.ok).toBe(true);
    expect(result.checks[1]).toMatchObject({ ok: true, detail: expect.stringMatching(/^403 /) });
    expect(result.checks[1]?.warning).toContain('no role allowing this route');
  });

  it('fails the signed-in check on a token the API refuses, naming the status', async () => {
    const forged = `${memberToken.slice(0, memberToken.lastIndexOf('.'))}.AAAA`;
    const result = await runSmoke(quick({ token: async () => forged }));
    expect(result.ok).toBe(false);
    expect(result.checks[1]).toMatchObject({ ok: false, detail: expect.stringMatching(/^401 .*: /) });
    expect(result.checks[0]?.ok).toBe(true);
    expect(result.checks[2]?.ok).toBe(true);
  });

  it('fails the signed-in check when no token can be had, and still checks the web app', async () => {
    const result = await runSmoke(
      quick({
        token: async () => {
          throw new Error('the token endpoint answered 400 (invalid_client)');
        },
      }),
    );
    expect(result.checks[1]).toEqual({
      name: 'GET /api/conversations (signed in)',
      ok: false,
      detail: 'no token: the token endpoint answered 400 (invalid_client)',
    });
    expect(result.checks[2]?.ok).toBe(true);
  });

  it('fails every check against an address where nothing answers, after the readiness retries', async () => {
    const result = await runSmoke(
      quick({ baseUrl: `http://127.0.0.1:${await freePort()}`, readyAttempts: 3 }),
    );
    expect(result.ok).toBe(false);
    expect(result.checks.every((c) => !c.ok)).toBe(true);
    expect(result.checks[0]?.detail).toMatch(/^not ready after 3 attempt\(s\): /);
  });

  it('fails the web check for a page without the app or its headers', async () => {
    const plain = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('hi'));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
      const result = await runSmoke(quick({ baseUrl: url, readyAttempts: 1 }));
      expect(result.checks[0]).toMatchObject({
        ok: false,
        detail: expect.stringContaining('200 without a readiness body'),
      });
      expect(result.checks[2]).toMatchObject({
        ok: false,
        detail: 'not text/html, no app root in the page, no Content-Security-Policy',
      });
    } finally {
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
  });
});

describe('the machine client token', () => {
  it('is asked for with the client-credentials grant, Basic client authentication and the scope', async () => {
    const endpoint = await fakeTokenEndpoint(() => [200, { access_token: 'a.b.c', token_type: 'Bearer' }]);
    try {
      const token = await clientCredentials({
        tokenUrl: endpoint.url,
        clientId: 'abc',
        clientSecret: 's3cret',
      })();
      expect(token).toBe('a.b.c');
      expect(endpoint.seen).toEqual([
        {
          authorization: `Basic ${Buffer.from('abc:s3cret').toString('base64')}`,
          contentType: 'application/x-www-form-urlencoded',
          body: 'grant_type=client_credentials&scope=parley%2Fchat.read',
        },
      ]);
    } finally {
      await endpoint.close();
    }
  });

  it('throws with the status and OAuth error when the endpoint refuses the client', async () => {
    const endpoint = await fakeTokenEndpoint(() => [400, { error: 'invalid_client' }]);
    try {
      await expect(
        clientCredentials({ tokenUrl: endpoint.url, clientId: 'abc', clientSecret: 'wrong' })(),
      ).rejects.toThrow('the token endpoint answered 400 (invalid_client)');
    } finally {
      await endpoint.close();
    }
  });
});

describe('npm run smoke', () => {
  it('names every missing variable and exits 2', async () => {
    expect(() => smokeOptionsFromEnv({ SMOKE_BASE_URL: 'not a url' })).toThrow(
      /SMOKE_BASE_URL: .*SMOKE_TOKEN_URL: .*SMOKE_CLIENT_ID: .*SMOKE_CLIENT_SECRET: /,
    );
    const out: string[] = [];
    expect(await main({}, (line) => out.push(line))).toBe(2);
    expect(out[0]).toMatch(/^Smoke test configuration: SMOKE_BASE_URL: /);
  });

  it('gets a token for the configured client, runs the checks and appends them to the job summary', async () => {
    const endpoint = await fakeTokenEndpoint((_req, body) =>
      body.includes('scope=parley%2Fchat.write')
        ? [200, { access_token: memberToken }]
        : [400, { error: 'invalid_scope' }],
    );
    const summary = join(dataDir, 'summary.md');
    const out: string[] = [];
    try {
      const code = await main(
        {
          SMOKE_BASE_URL: server.url,
          SMOKE_TOKEN_URL: endpoint.url,
          SMOKE_CLIENT_ID: 'machine',
          SMOKE_CLIENT_SECRET: 'secret',
          SMOKE_SCOPE: 'parley/chat.write',
          GITHUB_STEP_SUMMARY: summary,
        },
        (line) => out.push(line),
      );
      expect(out).toEqual([
        'pass  GET /api/health/ready: ready',
        expect.stringMatching(/^pass {2}GET \/api\/conversations \(signed in\): 200 \(request [\w-]+\)$/),
        'pass  GET / (web app): 200 text/html with its security headers',
        'Smoke test passed.',
      ]);
      expect(code).toBe(0);
      const markdown = await readFile(summary, 'utf8');
      expect(markdown).toContain(`## Smoke test: ${server.url}`);
      expect(markdown).toContain('| GET / (web app) | pass | 200 text/html with its security headers |');
    } finally {
      await endpoint.close();
    }
  });

  it('formats failures and warnings for the log and the summary', () => {
    const { markdown, lines } = formatSmoke('https://d1.cloudfront.net', {
      ok: false,
      checks: [
        { name: 'GET /api/health/ready', ok: true, detail: 'degraded', warning: 'the cache is unreachable' },
        { name: 'GET / (web app)', ok: false, detail: 'status 503 | retry' },
      ],
    });
    expect(lines).toEqual([
      'pass  GET /api/health/ready: degraded',
      '::warning title=Smoke test::GET /api/health/ready: the cache is unreachable',
      'FAIL  GET / (web app): status 503 | retry',
    ]);
    expect(markdown).toContain(
      '| GET /api/health/ready | pass | degraded (warning: the cache is unreachable) |',
    );
    expect(markdown).toContain('| GET / (web app) | FAIL | status 503 \\| retry |');
  });
});

describe('the smoke test against a misbehaving site', () => {
  /** A site whose answers each test sets: readiness, the signed-in read and the page. */
  async function site(answers: Record<string, (() => [number, string, string]) | undefined>) {
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const answer = answers[path]?.() ?? [404, 'text/plain', 'no'];
      res.writeHead(answer[0], { 'Content-Type': answer[1] }).end(answer[2]);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  it('passes a degraded stage with a warning, after asking again while it was down', async () => {
    const ready = [
      [503, 'application/json', '{"status":"down"}'],
      [200, 'application/json', '{"status":"degraded"}'],
    ] as [number, string, string][];
    const s = await site({
      '/api/health/ready': () => ready.shift() ?? [500, 'text/plain', ''],
      '/api/conversations': () => [200, 'application/json', '{"items":[],"nextCursor":null}'],
      '/': () => [404, 'text/html', '<div id="root"></div>'],
    });
    try {
      const result = await runSmoke(quick({ baseUrl: s.url, readyAttempts: 3 }));
      expect(result.checks[0]).toEqual({
        name: 'GET /api/health/ready',
        ok: true,
        detail: 'degraded',
        warning: 'the cache is unreachable; the API runs without it',
      });
      expect(result.checks[1]?.ok).toBe(true);
      expect(result.checks[2]).toMatchObject({ ok: false, detail: expect.stringContaining('status 404') });
    } finally {
      await s.close();
    }
  });

  it('fails a 403 that is not a problem document, and exits 1', async () => {
    const s = await site({
      '/api/health/ready': () => [200, 'application/json', '{"status":"ok"}'],
      '/api/conversations': () => [403, 'text/html', '<h1>Forbidden</h1>'],
    });
    try {
      const out: string[] = [];
      const endpoint = await fakeTokenEndpoint(() => [200, { access_token: 'a.b.c' }]);
      const code = await main(
        {
          SMOKE_BASE_URL: s.url,
          SMOKE_TOKEN_URL: endpoint.url,
          SMOKE_CLIENT_ID: 'm',
          SMOKE_CLIENT_SECRET: 's',
        },
        (line) => out.push(line),
      ).finally(() => endpoint.close());
      expect(code).toBe(1);
      expect(out.at(-1)).toBe('Smoke test failed.');
      expect(out[0]).toBe('pass  GET /api/health/ready: ready');
      expect(out[1]).toBe('FAIL  GET /api/conversations (signed in): 403 (request none)');
    } finally {
      await s.close();
    }
  });

  it('says the token endpoint gave no token when it answers 200 without one', async () => {
    const endpoint = await fakeTokenEndpoint(() => [200, { token_type: 'Bearer' }]);
    try {
      await expect(
        clientCredentials({ tokenUrl: endpoint.url, clientId: 'a', clientSecret: 'b' })(),
      ).rejects.toThrow('the token endpoint answered 200 (no access_token)');
    } finally {
      await endpoint.close();
    }
  });
});
