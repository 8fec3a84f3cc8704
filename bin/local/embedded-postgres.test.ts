import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { removeStalePidFile } from './embedded-postgres';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-embedded-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const writePidFile = (pid: number) =>
  writeFile(join(dir, 'postmaster.pid'), `${pid}\n${dir}\n1700000000\n5432\n`);

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
    // /proc/<pid>/comm is the executable's file name: `sleep` copied as "postgres" stands in.
    const fakePostgres = join(dir, 'postgres');
    await copyFile('/bin/sleep', fakePostgres);
    await chmod(fakePostgres, 0o755);
    const child = spawn(fakePostgres, ['30'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
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
