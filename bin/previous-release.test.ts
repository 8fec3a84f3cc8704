import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  previousRelease,
  resolvePreviousRelease,
  runCommand,
  selectTests,
  type Run,
} from './previous-release';

describe('selectTests', () => {
  it('takes the integration tests of functions/ and test/integration/, leaving out the migrator tests and start-up tests', () => {
    // Arrange
    const files = new Map([
      ['functions/chat/adapters/postgres-messages.int.test.ts', "import { x } from './postgres-messages';"],
      ['test/integration/chat-api.int.test.ts', "import { api } from '../support/api';"],
      [
        'test/integration/migrations.int.test.ts',
        "import { migrateToLatest } from '../../functions/shared/db/migrator';",
      ],
      [
        'test/integration/data-api.int.test.ts',
        'import {\n  migrateToLatest,\n} from "../../functions/shared/db/migrator";',
      ],
      [
        'functions/shared/db/old.int.test.ts',
        "import * as m from '../../../migrations/0011-users-quota-role-default';",
      ],
      ['test/integration/npm-start.int.test.ts', ''],
      ['test/integration/local-server-lifecycle.int.test.ts', ''],
      ['test/integration/dev-server-shutdown.int.test.ts', ''],
      ['functions/chat/use-cases/send-message.test.ts', ''],
      ['test/integration/nested/deep.int.test.ts', ''],
      ['bin/migrate-cli.int.test.ts', ''],
    ]);

    // Act
    const selected = selectTests(files);

    // Assess
    expect(selected).toEqual([
      'functions/chat/adapters/postgres-messages.int.test.ts',
      'test/integration/chat-api.int.test.ts',
    ]);
  });
});

/** A git repository in the temporary folder, with commits made by `commit`. */
async function scratchRepository() {
  const dir = await mkdtemp(join(tmpdir(), 'parley-previous-release-test-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  git('init', '-q', '-b', 'main');
  const commit = async (message: string, files: Record<string, string>) => {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    git('add', '-A');
    git('commit', '-q', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  return { dir, git, commit };
}

describe('resolvePreviousRelease', () => {
  let repo: Awaited<ReturnType<typeof scratchRepository>>;
  beforeEach(async () => {
    repo = await scratchRepository();
  });
  afterEach(async () => {
    await rm(repo.dir, { recursive: true, force: true });
  });

  it('is the commit before the newest change to migrations/', async () => {
    // Arrange
    await repo.commit('first schema', { 'migrations/0001-a.ts': 'a' });
    const before = await repo.commit('code', { 'functions/x.ts': '1' });
    await repo.commit('second schema', { 'migrations/0002-b.ts': 'b', 'functions/x.ts': '2' });
    await repo.commit('more code', { 'functions/x.ts': '3' });

    // Act
    const resolved = await resolvePreviousRelease({}, repo.dir, runCommand);

    // Assess
    expect(resolved).toMatchObject({ kind: 'release', commit: before });
  });

  it('is PARLEY_PREVIOUS_RELEASE when given, and refuses one that is not a commit here', async () => {
    // Arrange
    const first = await repo.commit('first schema', { 'migrations/0001-a.ts': 'a' });
    await repo.commit('second schema', { 'migrations/0002-b.ts': 'b' });

    // Act
    const given = await resolvePreviousRelease({ PARLEY_PREVIOUS_RELEASE: first }, repo.dir, runCommand);
    const unknown = await resolvePreviousRelease(
      { PARLEY_PREVIOUS_RELEASE: '--upload-pack=x' },
      repo.dir,
      runCommand,
    );

    // Assess
    expect(given).toMatchObject({ kind: 'release', commit: first });
    expect(unknown).toEqual({
      kind: 'error',
      why: 'PARLEY_PREVIOUS_RELEASE=--upload-pack=x is not a commit here',
    });
  });

  it('skips a repository whose only migration came with its first commit', async () => {
    // Arrange
    await repo.commit('first schema', { 'migrations/0001-a.ts': 'a' });
    await repo.commit('code', { 'functions/x.ts': '1' });

    // Act
    const resolved = await resolvePreviousRelease({}, repo.dir, runCommand);

    // Assess
    expect(resolved).toEqual({ kind: 'skip', why: 'the newest migration came with the first commit' });
  });

  it('fails in a shallow clone, which has no history to find the release in', async () => {
    // Arrange
    await repo.commit('first schema', { 'migrations/0001-a.ts': 'a' });
    await repo.commit('second schema', { 'migrations/0002-b.ts': 'b' });
    const shallow = join(repo.dir, 'shallow');
    execFileSync('git', ['clone', '-q', '--depth', '1', `file://${repo.dir}`, shallow], { stdio: 'ignore' });

    // Act
    const resolved = await resolvePreviousRelease({}, shallow, runCommand);

    // Assess
    expect(resolved).toMatchObject({ kind: 'error', why: expect.stringContaining('fetch-depth: 0') });
  });

  it('outside a git checkout skips on a developer machine and fails in CI', async () => {
    // Arrange
    const plain = await mkdtemp(join(tmpdir(), 'parley-previous-release-plain-'));

    try {
      // Act
      const here = await resolvePreviousRelease({ GIT_CEILING_DIRECTORIES: tmpdir() }, plain, runCommand);
      const ci = await resolvePreviousRelease(
        { CI: 'true', GIT_CEILING_DIRECTORIES: tmpdir() },
        plain,
        runCommand,
      );

      // Assess
      expect(here.kind).toBe('skip');
      expect(ci.kind).toBe('error');
    } finally {
      await rm(plain, { recursive: true, force: true });
    }
  });
});

describe('previousRelease', () => {
  let repo: Awaited<ReturnType<typeof scratchRepository>>;
  let lines: string[];
  const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(`error: ${line}`) };
  beforeEach(async () => {
    repo = await scratchRepository();
    lines = [];
  });
  afterEach(async () => {
    await rm(repo.dir, { recursive: true, force: true });
  });

  /** Runs git and tar for real; records the test run and answers it with `testsExit`. */
  function recordingRun(testsExit: number) {
    const calls: { command: string; args: readonly string[]; cwd: string; tree: string[] }[] = [];
    const run: Run = async (command, args, options) => {
      if (command === 'git' || command === 'tar' || command === 'mkdir')
        return runCommand(command, args, options);
      calls.push({ command, args, cwd: options.cwd, tree: await readdir(join(options.cwd, 'migrations')) });
      return { code: command.endsWith('vitest') ? testsExit : 0, stdout: '', output: '' };
    };
    return { run, calls };
  }

  async function twoReleases() {
    await repo.commit('first schema', {
      'package-lock.json': '{"v":1}',
      'migrations/0001-a.ts': 'a',
      'functions/a/adapters/a.int.test.ts': '',
      'test/integration/migrations.int.test.ts': "import { m } from '../../functions/shared/db/migrator';",
    });
    await repo.commit('second schema', {
      'migrations/0002-b.ts': 'b',
      'test/integration/b-api.int.test.ts': '',
    });
  }

  it("runs the previous release's integration tests in its own tree with this checkout's migrations", async () => {
    // Arrange
    await twoReleases();
    const { run, calls } = recordingRun(0);

    // Act
    const code = await previousRelease({}, repo.dir, run, io);

    // Assess
    expect(code).toBe(0);
    expect(calls).toHaveLength(1);
    const [tests] = calls;
    expect(tests?.command).toMatch(/node_modules\/\.bin\/vitest$/);
    // Its own tests (b-api is the new release's), the migrator's left out, on both migrations.
    expect(tests?.args).toEqual(['run', 'functions/a/adapters/a.int.test.ts']);
    expect(tests?.tree.sort()).toEqual(['0001-a.ts', '0002-b.ts']);
    expect(tests?.cwd).not.toBe(repo.dir);
    expect(lines).toContain("Schema: this release's migrations, new to it: 0002-b.");
    expect(lines).toContain('Dependencies: the same lock file as this checkout, so its node_modules.');
  });

  it('installs its own dependencies when its lock file differs', async () => {
    // Arrange
    await twoReleases();
    await repo.commit('new dependency', { 'package-lock.json': '{"v":2}' });
    const first = repo.git('rev-list', '--max-parents=0', 'HEAD');
    const { run, calls } = recordingRun(0);

    // Act
    const code = await previousRelease({ PARLEY_PREVIOUS_RELEASE: first }, repo.dir, run, io);

    // Assess
    expect(code).toBe(0);
    expect(calls.map((c) => [c.command, c.args[0]])).toEqual([
      ['npm', 'ci'],
      [expect.stringMatching(/vitest$/), 'run'],
    ]);
  });

  it('fails, naming the release, when its tests fail on this schema, and leaves no tree behind', async () => {
    // Arrange
    await twoReleases();
    const { run } = recordingRun(1);
    const before = (await readdir(tmpdir())).filter((n) => n.startsWith('parley-previous-release-')).length;

    // Act
    const code = await previousRelease({}, repo.dir, run, io);

    // Assess
    expect(code).toBe(1);
    expect(lines.at(-1)).toMatch(/^error: The previous release \([0-9a-f]{7}\) fails on this schema/);
    const after = (await readdir(tmpdir())).filter((n) => n.startsWith('parley-previous-release-')).length;
    expect(after).toBeLessThanOrEqual(before);
  });

  it('skips a release that has every migration of this one, and refuses one whose migration is gone', async () => {
    // Arrange
    await twoReleases();
    const { run, calls } = recordingRun(0);
    const head = repo.git('rev-parse', 'HEAD');

    // Act
    const same = await previousRelease({ PARLEY_PREVIOUS_RELEASE: head }, repo.dir, run, io);
    await rm(join(repo.dir, 'migrations', '0001-a.ts'));
    const gone = await previousRelease({ PARLEY_PREVIOUS_RELEASE: head }, repo.dir, run, io);

    // Assess
    expect(same).toBe(0);
    expect(lines).toContain('Skipped: the previous release has every migration of this one (same schema).');
    expect(gone).toBe(1);
    expect(lines.at(-1)).toBe('error: Migrations of the previous release are gone from this one: 0001-a.');
    expect(calls).toEqual([]);
  });
});
