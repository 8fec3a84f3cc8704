import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { runSmoke } from './smoke';

/** A site whose signed-in read answers as the test says; readiness and the page pass. */
async function site(conversations: [number, unknown]) {
  const server = createServer((req, res) => {
    const path = new URL(req.url as string, 'http://x').pathname;
    if (path === '/api/health/ready') return res.writeHead(200).end('{"status":"ok"}');
    if (path === '/api/conversations') {
      const [status, body] = conversations;
      return res
        .writeHead(status, { 'Content-Type': 'application/problem+json', 'X-Request-Id': 'req-7' })
        .end(JSON.stringify(body));
    }
    res
      .writeHead(200, { 'Content-Type': 'text/html', 'Content-Security-Policy': "default-src 'self'" })
      .end('<div id="root"></div>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const smoke = (baseUrl: string) =>
  runSmoke({ baseUrl, token: async () => 'a.b.c', readyAttempts: 1, readyDelayMs: 0, timeoutMs: 2_000 });

describe('the smoke test’s signed-in check', () => {
  it('passes a 403 problem without a detail with a warning that says forbidden', async () => {
    const result = await smoke(await site([403, { status: 403 }]));
    expect(result.ok).toBe(true);
    expect(result.checks[1]).toEqual({
      name: 'GET /api/conversations (signed in)',
      ok: true,
      detail: '403 (request req-7): the token was accepted',
      warning:
        "the client's service account has no role allowing this route (forbidden); an admin gives it one",
    });
  });

  it('fails a refusal, with its detail when the problem has one and without a dangling colon when not', async () => {
    const withDetail = await smoke(
      await site([401, { status: 401, detail: 'The access token is expired.' }]),
    );
    expect(withDetail.checks[1]).toEqual({
      name: 'GET /api/conversations (signed in)',
      ok: false,
      detail: '401 (request req-7): The access token is expired.',
    });
    const without = await smoke(await site([401, { status: 401 }]));
    expect(without.checks[1]?.detail).toBe('401 (request req-7)');
    expect(without.ok).toBe(false);
  });
});

describe('the smoke test’s readiness check', () => {
  it('asks again while Aurora resumes (degraded, database resuming) instead of passing it as a cache outage', async () => {
    // Prepare: resuming at the first ask, ready at the second
    const answers = [
      '{"status":"degraded","checks":{"database":{"status":"resuming"},"cache":{"status":"ok"}}}',
      '{"status":"ok","checks":{"database":{"status":"ok"},"cache":{"status":"ok"}}}',
    ];
    let asked = 0;
    const server = createServer((req, res) => {
      if (new URL(req.url as string, 'http://x').pathname === '/api/health/ready')
        return res.writeHead(200).end(answers[Math.min(asked++, answers.length - 1)]);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // Act
    const result = await runSmoke({
      baseUrl,
      token: async () => 'a.b.c',
      readyAttempts: 2,
      readyDelayMs: 0,
      timeoutMs: 2_000,
    });

    // Assess
    expect(asked).toBe(2);
    expect(result.checks[0]).toEqual({ name: 'GET /api/health/ready', ok: true, detail: 'ready' });
  });
});

describe('npm run smoke', () => {
  it('run as a command without its configuration, names the missing variables and exits 2', async () => {
    // Prepare: the file run as `node --import tsx bin/smoke.ts`, with no SMOKE_* variable.
    for (const name of ['SMOKE_BASE_URL', 'SMOKE_TOKEN_URL', 'SMOKE_CLIENT_ID', 'SMOKE_CLIENT_SECRET'])
      vi.stubEnv(name, undefined);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const argv = process.argv;
    process.argv = [process.execPath, fileURLToPath(new URL('./smoke.ts', import.meta.url))];
    try {
      // Act
      vi.resetModules();
      await import('./smoke');

      // Assess
      expect(process.exitCode).toBe(2);
      expect(log.mock.calls).toEqual([
        [expect.stringMatching(/^Smoke test configuration: SMOKE_BASE_URL: /)],
      ]);
      for (const name of ['SMOKE_TOKEN_URL', 'SMOKE_CLIENT_ID', 'SMOKE_CLIENT_SECRET'])
        expect(String(log.mock.calls[0]?.[0])).toContain(`${name}: `);
    } finally {
      process.argv = argv;
      process.exitCode = undefined;
      vi.unstubAllEnvs();
      log.mockRestore();
    }
  });
});
