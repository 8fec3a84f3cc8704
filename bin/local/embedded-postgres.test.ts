import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { removeStalePidFile, stopOrphanedServer } from './embedded-postgres';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-embedded-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const writePidFile = (pid: number) =>
  writeFile(join(dir, 'postmaster.pid'), `${pid}\n${dir}\n1700000000\n5432\n`);

/** `sleep` copied as "postgres": /proc/<pid>/comm names it so, as it does a real server. */
async function fakePostgres() {
  const program = join(dir, 'postgres');
  await copyFile('/bin/sleep', program);
  await chmod(program, 0o755);
  const child = spawn(program, ['30'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  return { child, exited };
}

describe('removeStalePidFile', () => {
  it('removes a pid file whose process is gone', async () => {
    const child = spawn('true');
    await new Promise((resolve) => child.on('exit', resolve));
    await writePidFile(child.pid as number);
    expect(await removeStalePidFile(dir)).toBe(true);
    expect(existsSync(join(dir, 'postmaster.pid'))).toBe(false);
  });

  it('removes a pid file whose pid now belongs to another program', async () => {
    await writePidFile(process.pid); // this test runner: alive, but not postgres
    expect(await removeStalePidFile(dir)).toBe(true);
  });

  it('keeps the pid file of a live postgres process', async () => {
    const { child } = await fakePostgres();
    try {
      await writePidFile(child.pid as number);
      expect(await removeStalePidFile(dir)).toBe(false);
      expect(existsSync(join(dir, 'postmaster.pid'))).toBe(true);
    } finally {
      child.kill();
    }
  });

  it('does nothing when there is no pid file', async () => {
    expect(await removeStalePidFile(dir)).toBe(false);
  });
});

describe('stopOrphanedServer', () => {
  it('asks a live server left by a killed run to shut down fast (SIGINT) and waits for it', async () => {
    const { child, exited } = await fakePostgres();
    try {
      await writePidFile(child.pid as number);
      expect(await stopOrphanedServer(dir)).toBe(true);
      expect(await exited).toBe('SIGINT');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it.each([
    ['there is no pid file', undefined],
    ['the pid file names no process id', 'postmaster\n'],
    ['its process id is not positive', '0\n'],
    ['its process is another program', String(process.pid)],
  ])('stops nothing when %s', async (_case, contents) => {
    if (contents !== undefined) await writeFile(join(dir, 'postmaster.pid'), contents);
    expect(await stopOrphanedServer(dir)).toBe(false);
  });
});
