import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { signInForToken } from '../resilience/support/sign-in';
import { parseServerSentEvents } from '../support/sse-events';

/**
 * `npm start`'s entry as a person runs it: embedded PostgreSQL (no DATABASE_URL), first-start
 * admin, Ctrl-C (also during start-up), and recovery from a run that was killed outright.
 */
const children: ChildProcess[] = [];
let dataDir = '';
/** Every data folder a test made, for the clean-up. */
const dataDirs: string[] = [];

async function newDataDir(prefix: string): Promise<void> {
  dataDir = await mkdtemp(join(tmpdir(), prefix));
  dataDirs.push(dataDir);
  await chmod(dataDir, 0o755); // the embedded server runs as the postgres OS user
}

interface StartOptions {
  /** Leading a process group of its own, as a terminal's foreground job does. */
  readonly detached?: boolean;
  readonly env?: Record<string, string>;
}

/** Runs `npm start`'s entry on `dataDir`, without waiting for it. */
function spawnStart(options: StartOptions = {}): { child: ChildProcess; output: () => string } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    COGNITO_PORT: '0',
    PARLEY_DATA_DIR: dataDir,
    ...options.env,
  };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  // As `npm start` runs it: one Node process, TypeScript through the tsx loader.
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts'], {
    env,
    detached: options.detached ?? false,
  });
  children.push(child);
  let output = '';
  const collect = (chunk: Buffer) => void (output += chunk.toString());
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return { child, output: () => output };
}

function start(options?: StartOptions): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const { child, output } = spawnStart(options);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 90 s:\n${output()}`)), 90_000);
    const onData = () => {
      const match = /Parley is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output());
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: match[1], output });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output()}`)));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

async function postmasterPid(dir = dataDir): Promise<number | undefined> {
  const contents = await readFile(join(dir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => undefined);
  return contents ? Number.parseInt(contents.split('\n')[0] ?? '', 10) : undefined;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dataDirs) {
    const pid = await postmasterPid(dir);
    if (pid && alive(pid)) process.kill(pid, 'SIGINT');
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('starts on embedded PostgreSQL, recovers from a killed run, and stops cleanly on Ctrl-C', async () => {
    await newDataDir('parley-start-');

    // First start: the admin's credentials are printed once.
    const first = await start();
    expect(first.output()).toContain('First start: an admin was created');
    expect(first.output()).toMatch(/TOTP secret: [A-Z2-7]{16,}/);
    expect(first.output()).toMatch(/TOTP URI: +otpauth:\/\/totp\/Parley:admin%40parley\.local\?/);
    // Not a terminal: one line per service, no colour codes, no emulator log or internal port.
    expect(first.output()).not.toContain('\u001b');
    expect(first.output()).not.toContain('[cognito]');
    const local = JSON.parse(await readFile(join(dataDir, 'local.json'), 'utf8')) as {
      cognitoEndpoint: string;
    };
    expect(first.output()).toMatch(new RegExp(`Cognito +${local.cognitoEndpoint.replace(/\./g, '\\.')} `));
    expect(await (await fetch(`${first.url}/api/health`)).json()).toEqual({ status: 'ok' });

    // Killed outright: PostgreSQL outlives it.
    first.child.kill('SIGKILL');
    await exited(first.child);
    const orphan = await postmasterPid();
    expect(orphan && alive(orphan)).toBe(true);

    // The next start stops the orphan and comes up on the same data, without a second admin.
    const second = await start();
    expect(second.output()).not.toContain('First start');
    expect(orphan && alive(orphan)).toBe(false);
    const ready = (await (await fetch(`${second.url}/api/health/ready`)).json()) as {
      checks: { database: { status: string } };
    };
    expect(ready.checks.database.status).toBe('ok');

    // A second stack on the same folder is refused while this one runs.
    await expect(start()).rejects.toThrow(/already running/);

    // Ctrl-C: exit 0, PostgreSQL stopped, the lock released.
    const running = await postmasterPid();
    second.child.kill('SIGINT');
    expect(await exited(second.child)).toBe(0);
    expect(second.output()).toContain('Stopped cleanly.');
    // Every part stopped in time and without error. (A "database connection lost" warning, from a
    // pool that still held an idle connection when PostgreSQL stopped, shows up now and then under
    // load; its source is not found yet, and it costs nothing but the line.)
    expect(second.output()).not.toContain('While stopping:');
    expect(running && alive(running)).toBe(false);
    expect(existsSync(join(dataDir, 'stack.pid'))).toBe(false);

    // The database process dies under a running stack; Ctrl-C still stops cleanly.
    const third = await start();
    const database = await postmasterPid();
    expect(database && alive(database)).toBe(true);
    if (database) process.kill(database, 'SIGKILL');
    for (let waited = 0; database && alive(database) && waited < 5_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
    third.child.kill('SIGINT');
    expect(await exited(third.child)).toBe(0);
    expect(third.output()).toContain('Stopped cleanly.');
    expect(existsSync(join(dataDir, 'stack.pid'))).toBe(false);
  }, 300_000);

  it("lets a reply being written finish when a terminal's Ctrl-C reaches its whole process group", async () => {
    // Prepare: the stack leading its own process group (a terminal's foreground job), the offline
    // model slow enough (about 3 s a reply) that Ctrl-C lands in the middle of one
    await newDataDir('parley-start-ctrl-c-');
    const stack = await start({ detached: true, env: { OFFLINE_MODEL_DELAY_MS: '100' } });
    const local = JSON.parse(await readFile(join(dataDir, 'local.json'), 'utf8')) as {
      cognitoEndpoint: string;
      clientId: string;
    };
    const email = `ctrl-c-${Date.now()}@example.test`;
    const password = 'Ctrl-C-Passw0rd!';
    await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'bin/users.ts',
        'create',
        '--email',
        email,
        '--password',
        password,
        '--role',
        'members',
      ],
      { env: { ...process.env, PARLEY_DATA_DIR: dataDir } },
    );
    const token = await signInForToken(local.cognitoEndpoint, local.clientId, email, password);
    const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const conversation = (await (
      await fetch(`${stack.url}/api/conversations`, { method: 'POST', headers: auth, body: '{}' })
    ).json()) as { id: string };
    const response = await fetch(`${stack.url}/api/conversations/${conversation.id}/messages`, {
      method: 'POST',
      headers: { ...auth, Accept: 'text/event-stream' },
      body: JSON.stringify({ content: 'Still there?' }),
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('event: delta')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const rest = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })();

    // Act: what a terminal does on Ctrl-C, SIGINT to every process of the foreground group
    process.kill(-(stack.child.pid as number), 'SIGINT');
    await rest;

    // Assess: the reply ended whole (stored complete before `done`), not with the database gone
    const events = parseServerSentEvents(text);
    expect(
      events.map((event) => event.event),
      text,
    ).toContain('done');
    expect(events.map((event) => event.event)).not.toContain('error');
    expect(await exited(stack.child), stack.output()).toBe(0);
    expect(stack.output()).toContain('Stopped cleanly.');
    expect(await postmasterPid()).toBeUndefined();
  }, 180_000);

  it('stops the PostgreSQL it has started when SIGTERM comes during start-up, and exits 0', async () => {
    // Prepare: a start under way on a folder of its own, PostgreSQL up, the rest still coming.
    await newDataDir('parley-start-signal-');
    const { child, output } = spawnStart();
    // initdb's own single-user runs leave a negative pid there: wait for the server's.
    let database: number | undefined;
    const serverUp = (pid: number | undefined) => pid !== undefined && pid > 0 && alive(pid);
    for (let waited = 0; !serverUp(database) && waited < 90_000; waited += 50) {
      database = await postmasterPid();
      if (!serverUp(database)) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(serverUp(database), output()).toBe(true);
    expect(output()).not.toContain('Parley is running');

    // Act
    child.kill('SIGTERM');

    // Assess
    expect(await exited(child), output()).toBe(0);
    expect(output()).toContain('SIGTERM: stopping…');
    expect(output()).toContain('Stopped cleanly.');
    expect(output()).not.toContain('Parley is running');
    expect(database && alive(database)).toBe(false);
    expect(existsSync(join(dataDir, 'stack.pid'))).toBe(false);
  }, 120_000);
});
