import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startDevServer, type DevServer } from '../../bin/local/dev-server';
import { freePort } from '../../bin/local/free-port';
import { DEFAULT_OPENAI_BASE_URL } from '../../functions/chat/adapters/openai-chat-model';

/**
 * The local server's life as `npm start` lives it, in process: embedded PostgreSQL (no
 * DATABASE_URL), the first admin on the first start only, the banner's model line, and a stop
 * (or a failed start) that leaves nothing running behind it.
 */
const savedEnv = { ...process.env };
let base = '';
let dataDir = '';
const running: DevServer[] = [];

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'parley-lifecycle-'));
  dataDir = join(base, 'data');
});

afterAll(async () => {
  for (const server of running) await server.stop();
  // The server sets its handlers' configuration in process.env; this file's process ends here.
  process.env = savedEnv;
  await rm(base, { recursive: true, force: true });
});

/** Starts as `npm start` does without DATABASE_URL (the server sets it for its handlers). */
async function startEmbedded(port = 0): Promise<DevServer> {
  delete process.env.DATABASE_URL;
  const server = await startDevServer({ port, cognitoPort: 0, dataDir, quiet: true });
  running.push(server);
  return server;
}

async function stop(server: DevServer): Promise<void> {
  running.splice(running.indexOf(server), 1);
  await server.stop();
}

const postgresRunning = () => existsSync(join(dataDir, 'postgres', 'postmaster.pid'));
const claimed = () => existsSync(join(dataDir, 'stack.pid'));

describe('the local server on embedded PostgreSQL', () => {
  it('creates the first admin on the first start only, and stops leaving nothing running', async () => {
    // Prepare: a model key and no metrics setting, as on a developer's machine.
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    delete process.env.OPENAI_BASE_URL;
    process.env.OPENAI_API_KEY = 'local-test-key';

    // Act: the first start.
    const first = await startEmbedded();

    // Assess
    expect(first.banner).toMatchObject({
      embeddedDatabase: true,
      model: { kind: 'openai', baseUrl: DEFAULT_OPENAI_BASE_URL },
      firstAdmin: { email: 'admin@parley.local' },
    });
    expect(first.banner.firstAdmin?.password).toMatch(/aA1!$/);
    expect(first.banner.firstAdmin?.totpSecret).toMatch(/^[A-Z2-7]{16,}$/);
    expect(first.databaseUrl).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/parley$/);
    // EMF metrics would print JSON into the developer's terminal: off unless asked for.
    expect(process.env.POWERTOOLS_METRICS_DISABLED).toBe('true');
    expect((await fetch(`${first.url}/api/health`)).status).toBe(200);
    expect(postgresRunning() && claimed()).toBe(true);

    await stop(first);
    await expect(fetch(`${first.url}/api/health`)).rejects.toThrow();
    await expect(fetch(first.cognitoEndpoint)).rejects.toThrow();
    expect(postgresRunning()).toBe(false);
    expect(claimed()).toBe(false);

    // Act: the second start, with the model elsewhere.
    process.env.OPENAI_BASE_URL = 'http://127.0.0.1:9/v1';
    const second = await startEmbedded();

    // Assess: the admin is there already; the data survived the restart.
    expect(second.banner.firstAdmin).toBeUndefined();
    expect(second.banner.model).toMatchObject({ kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1' });
    await stop(second);
    expect(postgresRunning()).toBe(false);
  }, 120_000);

  it('cancels a start when its signal fires, stopping the PostgreSQL it had started and giving up its claim', async () => {
    // Prepare: a start under way, its HTTP server up (PostgreSQL is running by then).
    delete process.env.DATABASE_URL;
    const port = await freePort();
    const cancel = new AbortController();
    const starting = startDevServer({ port, cognitoPort: 0, dataDir, quiet: true, signal: cancel.signal });
    const failed = starting.then(
      () => undefined,
      (error: unknown) => error,
    );
    let answered: number | undefined;
    while (answered === undefined) {
      answered = await fetch(`http://127.0.0.1:${port}/api/health`).then(
        (response) => response.status,
        () => undefined,
      );
      if (answered === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(answered).toBe(503);
    expect(postgresRunning()).toBe(true);

    // Act
    cancel.abort(new Error('SIGTERM during start-up'));

    // Assess
    expect(await failed).toEqual(new Error('SIGTERM during start-up'));
    expect(postgresRunning()).toBe(false);
    expect(claimed()).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();
  }, 120_000);

  it('stops the PostgreSQL it started, and gives up its claim, when its port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      await expect(startEmbedded(port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(postgresRunning()).toBe(false);
      expect(claimed()).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 60_000);
});
