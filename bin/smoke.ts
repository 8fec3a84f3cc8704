import { appendFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import * as z from 'zod';

/**
 * `npm run smoke`: after a deploy, three requests a user's first visit depends on.
 *
 * 1. `GET /api/health/ready` answers `ok` (or `degraded`: the cache is down, which the API
 *    survives); it is asked again for a while, since Aurora may be resuming.
 * 2. A signed-in request (`GET /api/conversations?limit=1`) with a token from the token source:
 *    on AWS the machine client's, through the client-credentials grant. It passes the API
 *    Gateway authorizer and the function's own token check. A 403 means the token was accepted
 *    but the client's service account has no role yet: reported as a warning.
 * 3. `GET /` (through CloudFront on AWS) serves the web app with its Content-Security-Policy,
 *    and HSTS over HTTPS.
 *
 * Configuration from the environment: SMOKE_BASE_URL, and SMOKE_TOKEN_URL, SMOKE_CLIENT_ID,
 * SMOKE_CLIENT_SECRET (optional SMOKE_SCOPE). Tests inject their own token source.
 */

export type TokenSource = () => Promise<string>;

export interface SmokeOptions {
  /** The site: the web app at `/` and the API at `/api` (CloudFront on AWS). */
  readonly baseUrl: string;
  readonly token: TokenSource;
  /** How often readiness is asked before giving up. @default 10 */
  readonly readyAttempts?: number;
  /** Pause between readiness attempts. @default 6000 ms */
  readonly readyDelayMs?: number;
  /** Per request. @default 10000 ms */
  readonly timeoutMs?: number;
}

export interface SmokeCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly warning?: string;
}

export interface SmokeResult {
  readonly ok: boolean;
  readonly checks: readonly SmokeCheck[];
}

const readiness = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  checks: z.object({ database: z.object({ status: z.string() }).optional() }).optional(),
});
const problem = z.object({ status: z.number(), detail: z.string().optional() });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function json(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

async function ready(options: SmokeOptions, api: string): Promise<SmokeCheck> {
  const name = 'GET /api/health/ready';
  const attempts = options.readyAttempts ?? 10;
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await fetch(`${api}/health/ready`, {
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      const body = readiness.safeParse(await json(response));
      // Aurora resuming from zero capacity answers `degraded` too: not ready yet, ask again.
      const resuming = body.success && body.data.checks?.database?.status === 'resuming';
      if (response.status === 200 && body.success && body.data.status !== 'down' && !resuming) {
        return body.data.status === 'ok'
          ? { name, ok: true, detail: 'ready' }
          : {
              name,
              ok: true,
              detail: 'degraded',
              warning: 'the cache is unreachable; the API runs without it',
            };
      }
      last = `${response.status} ${body.success ? (resuming ? 'resuming' : body.data.status) : 'without a readiness body'}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (attempt < attempts) await sleep(options.readyDelayMs ?? 6_000);
  }
  return { name, ok: false, detail: `not ready after ${attempts} attempt(s): ${last}` };
}

async function signedIn(options: SmokeOptions, api: string): Promise<SmokeCheck> {
  const name = 'GET /api/conversations (signed in)';
  let token: string;
  try {
    token = await options.token();
  } catch (error) {
    return { name, ok: false, detail: `no token: ${(error as Error).message}` };
  }
  try {
    const response = await fetch(`${api}/conversations?limit=1`, {
      headers: { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const body = await json(response);
    const requestId = response.headers.get('x-request-id') ?? 'none';
    if (response.status === 200 && Array.isArray((body as { items?: unknown } | undefined)?.items)) {
      return { name, ok: true, detail: `200 (request ${requestId})` };
    }
    const refusal = problem.safeParse(body);
    if (response.status === 403 && refusal.success) {
      return {
        name,
        ok: true,
        detail: `403 (request ${requestId}): the token was accepted`,
        warning: `the client's service account has no role allowing this route (${refusal.data.detail ?? 'forbidden'}); an admin gives it one`,
      };
    }
    const why = refusal.success && refusal.data.detail ? `: ${refusal.data.detail}` : '';
    return { name, ok: false, detail: `${response.status} (request ${requestId})${why}` };
  } catch (error) {
    return { name, ok: false, detail: (error as Error).message };
  }
}

async function webApp(options: SmokeOptions): Promise<SmokeCheck> {
  const name = 'GET / (web app)';
  try {
    const response = await fetch(`${options.baseUrl}/`, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const html = await response.text();
    const problems: string[] = [];
    if (response.status !== 200) problems.push(`status ${response.status}`);
    if (!response.headers.get('content-type')?.startsWith('text/html')) problems.push('not text/html');
    if (!html.includes('<div id="root">')) problems.push('no app root in the page');
    if (!response.headers.get('content-security-policy')) problems.push('no Content-Security-Policy');
    if (options.baseUrl.startsWith('https:') && !response.headers.get('strict-transport-security'))
      problems.push('no Strict-Transport-Security');
    return problems.length
      ? { name, ok: false, detail: problems.join(', ') }
      : { name, ok: true, detail: '200 text/html with its security headers' };
  } catch (error) {
    return { name, ok: false, detail: (error as Error).message };
  }
}

/** Runs the three checks in order; a later check runs even when an earlier one failed. */
export async function runSmoke(options: SmokeOptions): Promise<SmokeResult> {
  const base = options.baseUrl.replace(/\/+$/, '');
  const opts = { ...options, baseUrl: base };
  const api = `${base}/api`;
  const checks = [await ready(opts, api), await signedIn(opts, api), await webApp(opts)];
  return { ok: checks.every((c) => c.ok), checks };
}

/** A machine client's access token from Cognito's token endpoint (client-credentials grant). */
export function clientCredentials(input: {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope?: string;
  readonly timeoutMs?: number;
}): TokenSource {
  return async () => {
    const response = await fetch(input.tokenUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${input.clientId}:${input.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: input.scope ?? 'parley/chat.read',
      }),
      signal: AbortSignal.timeout(input.timeoutMs ?? 10_000),
    });
    const body = (await json(response)) as { access_token?: unknown; error?: unknown } | undefined;
    if (response.status !== 200 || typeof body?.access_token !== 'string') {
      const error = typeof body?.error === 'string' ? body.error : 'no access_token';
      throw new Error(`the token endpoint answered ${response.status} (${error})`);
    }
    return body.access_token;
  };
}

const environment = z.object({
  SMOKE_BASE_URL: z.url(),
  SMOKE_TOKEN_URL: z.url(),
  SMOKE_CLIENT_ID: z.string().min(1),
  SMOKE_CLIENT_SECRET: z.string().min(1),
  SMOKE_SCOPE: z.string().min(1).optional(),
});

/** Options from the environment; throws naming each missing or malformed variable. */
export function smokeOptionsFromEnv(env: NodeJS.ProcessEnv): SmokeOptions {
  const parsed = environment.safeParse(env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`Smoke test configuration: ${names.join('; ')}`);
  }
  const e = parsed.data;
  return {
    baseUrl: e.SMOKE_BASE_URL,
    token: clientCredentials({
      tokenUrl: e.SMOKE_TOKEN_URL,
      clientId: e.SMOKE_CLIENT_ID,
      clientSecret: e.SMOKE_CLIENT_SECRET,
      scope: e.SMOKE_SCOPE,
    }),
  };
}

/** The result as a Markdown table (the job summary) and one line per check. */
export function formatSmoke(baseUrl: string, result: SmokeResult): { markdown: string; lines: string[] } {
  const rows = result.checks.map(
    (c) =>
      `| ${c.name} | ${c.ok ? 'pass' : 'FAIL'} | ${c.detail.replace(/\|/g, '\\|')}${c.warning ? ` (warning: ${c.warning})` : ''} |`,
  );
  const markdown = [
    `## Smoke test: ${baseUrl}`,
    '',
    '| check | result | detail |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
  const lines = result.checks.flatMap((c) => [
    `${c.ok ? 'pass' : 'FAIL'}  ${c.name}: ${c.detail}`,
    ...(c.warning ? [`::warning title=Smoke test::${c.name}: ${c.warning}`] : []),
  ]);
  return { markdown, lines };
}

/** The command line; returns the exit code. */
export async function main(env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  let options: SmokeOptions;
  try {
    options = smokeOptionsFromEnv(env);
  } catch (error) {
    out((error as Error).message);
    return 2;
  }
  const result = await runSmoke(options);
  const { markdown, lines } = formatSmoke(options.baseUrl, result);
  for (const line of lines) out(line);
  if (env.GITHUB_STEP_SUMMARY) await appendFile(env.GITHUB_STEP_SUMMARY, markdown);
  out(result.ok ? 'Smoke test passed.' : 'Smoke test failed.');
  return result.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.env, (line) => console.log(line));
}
