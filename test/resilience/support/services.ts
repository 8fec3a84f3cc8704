import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startEmbeddedPostgres, type EmbeddedPostgresServer } from '../../../bin/local/embedded-postgres';
import { freePort } from '../../../bin/local/free-port';

/** A service this test run owns and may stop and start again on the same port and data. */
export interface DisposableService {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  dispose(): Promise<void>;
}

/** Resolves once something accepts TCP connections on the port (bounded). */
async function listening(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A PostgreSQL of its own (embedded, in a temporary folder, on a free port), so the fault tests
 * can stop it without touching any server another process uses.
 */
export async function disposablePostgres(): Promise<DisposableService> {
  const base = await mkdtemp(join(tmpdir(), 'parley-resilience-pg-'));
  // When running as root, PostgreSQL runs as the `postgres` user, which must reach the data dir.
  await chmod(base, 0o755);
  const dataDir = join(base, 'data');
  const port = await freePort();
  let server: EmbeddedPostgresServer | undefined = await startEmbeddedPostgres({ dataDir, port });
  const url = server.url;
  return {
    url,
    stop: async () => {
      await server?.stop();
      server = undefined;
    },
    start: async () => {
      server ??= await startEmbeddedPostgres({ dataDir, port });
    },
    dispose: async () => {
      await server?.stop();
      server = undefined;
      await rm(base, { recursive: true, force: true });
    },
  };
}

/** A redis-server of its own on a free port, without persistence. */
export async function disposableRedis(): Promise<DisposableService> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    if (child) return;
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await listening(port);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop, dispose: stop };
}
