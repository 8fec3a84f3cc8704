import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * `npm run test:previous-release`: the previous release's integration tests on this release's
 * schema. A deploy migrates first, then the new functions take traffic (10% for 5 minutes in
 * staging and prod), so for a while, and for good after a rollback, the previous release's code
 * serves on the new schema. A migration that breaks it (a column made nullable that old code reads
 * as a number, a new column without a default that old code does not write) fails users during the
 * canary, and the canary's rollback does not undo a migration. Migration 0011 was one: the release
 * before it refused every send with 429 on its schema.
 *
 * The previous release is `PARLEY_PREVIOUS_RELEASE` (a commit: the one deployed, when known), else
 * the commit before the newest change to `migrations/`: the newest code that ran on the schema
 * before it. Its tree goes to a temporary folder with this checkout's `migrations/` in place of
 * its own, its own dependencies are installed (`npm ci`), and its integration tests run against a
 * fresh database that this release's migrations built (its test set-up migrates with whatever
 * `migrations/` holds). Left out: tests that run the migrator themselves (they check the schema's
 * history, which a new migration changes by design), and the local server's start-up tests (no
 * SQL of their own, and the slowest).
 */

export type Run = (
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly quiet?: boolean },
) => Promise<{ readonly code: number; readonly stdout: string; readonly output: string }>;

export interface PreviousReleaseIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** Start-up tests of the local server and `npm start`: they run no SQL of their own. */
const LIFECYCLE_TESTS = [
  'test/integration/npm-start.int.test.ts',
  'test/integration/local-server-lifecycle.int.test.ts',
  'test/integration/dev-server-shutdown.int.test.ts',
];

/** A test file that imports the migrator or a migration: it tests the schema's history. */
const RUNS_MIGRATIONS = /from\s+['"][^'"]*(?:\/db\/migrator|\/migrations\/)[^'"]*['"]/;

/** The previous release's test files to run, from its integration tests and their texts. */
export function selectTests(files: ReadonlyMap<string, string>): string[] {
  return [...files.keys()]
    .filter((file) => /^(functions\/.+|test\/integration\/[^/]+)\.int\.test\.ts$/.test(file))
    .filter((file) => !LIFECYCLE_TESTS.includes(file))
    .filter((file) => !RUNS_MIGRATIONS.test(files.get(file) ?? ''))
    .sort();
}

export type Resolution =
  | { readonly kind: 'release'; readonly commit: string; readonly why: string }
  | { readonly kind: 'skip'; readonly why: string }
  | { readonly kind: 'error'; readonly why: string };

/** Which commit is the previous release (see the file's comment), or why there is none. */
export async function resolvePreviousRelease(
  env: NodeJS.ProcessEnv,
  root: string,
  run: Run,
): Promise<Resolution> {
  const git = (...args: string[]) => run('git', args, { cwd: root, quiet: true });
  const inside = await git('rev-parse', '--is-inside-work-tree');
  if (inside.code !== 0 || inside.stdout.trim() !== 'true') {
    return env.CI
      ? { kind: 'error', why: 'not a git checkout: CI needs the history to find the previous release' }
      : { kind: 'skip', why: 'not a git checkout, so there is no previous release to find' };
  }
  const shallow = await git('rev-parse', '--is-shallow-repository');
  if (shallow.stdout.trim() === 'true' && !env.PARLEY_PREVIOUS_RELEASE) {
    return {
      kind: 'error',
      why: 'the clone is shallow: fetch the history (actions/checkout fetch-depth: 0, or git fetch --unshallow)',
    };
  }
  const wanted = env.PARLEY_PREVIOUS_RELEASE?.trim();
  if (wanted) {
    const commit = await git('rev-parse', '--verify', '--end-of-options', `${wanted}^{commit}`);
    if (commit.code !== 0)
      return { kind: 'error', why: `PARLEY_PREVIOUS_RELEASE=${wanted} is not a commit here` };
    return { kind: 'release', commit: commit.stdout.trim(), why: `PARLEY_PREVIOUS_RELEASE=${wanted}` };
  }
  const newest = await git('log', '-1', '--format=%H', '--', 'migrations/');
  const migrationCommit = newest.stdout.trim();
  if (newest.code !== 0 || !migrationCommit) return { kind: 'skip', why: 'no migration is committed yet' };
  const parent = await git('rev-parse', '--verify', '--quiet', `${migrationCommit}^`);
  if (parent.code !== 0) return { kind: 'skip', why: 'the newest migration came with the first commit' };
  return {
    kind: 'release',
    commit: parent.stdout.trim(),
    why: `the commit before ${migrationCommit.slice(0, 7)}, the newest change to migrations/`,
  };
}

/** Migration files of a `migrations/` listing, without index.ts. */
const migrationNames = (names: readonly string[]) =>
  names.filter((n) => /^\d{4}-.+\.ts$/.test(n)).map((n) => n.replace(/\.ts$/, ''));

export async function previousRelease(
  env: NodeJS.ProcessEnv,
  root: string,
  run: Run,
  io: PreviousReleaseIo,
): Promise<number> {
  const resolution = await resolvePreviousRelease(env, root, run);
  if (resolution.kind === 'skip') {
    io.out(`Skipped: ${resolution.why}.`);
    return 0;
  }
  if (resolution.kind === 'error') {
    io.err(`Cannot check the previous release: ${resolution.why}.`);
    return 1;
  }
  const { commit, why } = resolution;
  const subject = (await run('git', ['log', '-1', '--format=%h %s', commit], { cwd: root, quiet: true }))
    .stdout;
  io.out(`Previous release: ${subject.trim().slice(0, 100)} (${why}).`);

  const dir = await mkdtemp(join(tmpdir(), 'parley-previous-release-'));
  try {
    const archive = join(dir, 'tree.tar');
    const tree = join(dir, 'tree');
    if (
      (await run('git', ['archive', '--format=tar', '-o', archive, commit], { cwd: root, quiet: true })).code
    )
      throw new StepFailed(`git archive ${commit} failed`);
    if ((await run('mkdir', ['-p', tree], { cwd: dir, quiet: true })).code)
      throw new StepFailed('mkdir failed');
    if ((await run('tar', ['-xf', archive, '-C', tree], { cwd: dir, quiet: true })).code)
      throw new StepFailed('tar failed');

    const theirs = migrationNames(await readdir(join(tree, 'migrations')).catch(() => []));
    const ours = migrationNames(await readdir(join(root, 'migrations')));
    const added = ours.filter((name) => !theirs.includes(name));
    const gone = theirs.filter((name) => !ours.includes(name));
    if (gone.length) {
      io.err(`Migrations of the previous release are gone from this one: ${gone.join(', ')}.`);
      return 1;
    }
    if (!added.length) {
      io.out('Skipped: the previous release has every migration of this one (same schema).');
      return 0;
    }
    io.out(`Schema: this release's migrations, new to it: ${added.join(', ')}.`);
    await rm(join(tree, 'migrations'), { recursive: true, force: true });
    await cp(join(root, 'migrations'), join(tree, 'migrations'), { recursive: true });

    await installDependencies(root, tree, run, io);

    const texts = new Map<string, string>();
    for (const file of await listFiles(tree, ['functions', 'test/integration'])) {
      if (file.endsWith('.int.test.ts')) texts.set(file, await readFile(join(tree, file), 'utf8'));
    }
    const tests = selectTests(texts);
    io.out(`Running ${tests.length} of its ${texts.size} integration test files on this schema.`);
    // Its own pinned Node and tools first on the PATH, as `npm test` would have them.
    const bin = join(tree, 'node_modules', '.bin');
    const { code } = await run(join(bin, 'vitest'), ['run', ...tests], {
      cwd: tree,
      env: { ...env, PATH: `${bin}${delimiter}${env.PATH ?? ''}` },
    });
    if (code) {
      io.err(
        `The previous release (${commit.slice(0, 7)}) fails on this schema: while a canary runs, or after ` +
          'a rollback, it serves on it. Make the migration one the previous release can run on ' +
          '(docs/deployment.md, "Migrations the previous release runs on").',
      );
      return 1;
    }
    io.out(`The previous release (${commit.slice(0, 7)}) passes its integration tests on this schema.`);
    return 0;
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
    io.err(error.message);
    return 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

class StepFailed extends Error {}

/**
 * The previous release's own dependencies: this checkout's when the lock files are the same
 * (linked, which saves an install), else `npm ci` in its tree.
 */
async function installDependencies(root: string, tree: string, run: Run, io: PreviousReleaseIo) {
  const lock = (dir: string) => readFile(join(dir, 'package-lock.json'), 'utf8').catch(() => null);
  const [ours, theirs] = await Promise.all([lock(root), lock(tree)]);
  if (ours !== null && ours === theirs) {
    await symlink(join(root, 'node_modules'), join(tree, 'node_modules'), 'dir');
    io.out('Dependencies: the same lock file as this checkout, so its node_modules.');
    return;
  }
  io.out('Dependencies: its own lock file, installed with npm ci.');
  const install = await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: tree,
    quiet: true,
  });
  if (install.code) {
    io.err(install.output.slice(-4_000));
    throw new StepFailed("npm ci failed in the previous release's tree");
  }
}

/** Files under `folders` of `root`, as paths relative to it with forward slashes. */
async function listFiles(root: string, folders: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const folder of folders) {
    const entries = await readdir(join(root, folder), { recursive: true, withFileTypes: true }).catch(
      () => [],
    );
    for (const entry of entries) {
      if (entry.isFile())
        found.push(relative(root, join(entry.parentPath, entry.name)).split('\\').join('/'));
    }
  }
  return found;
}

/**
 * Runs a command; `quiet` collects its output (`stdout`, and `output` with stderr too), else it
 * goes to this process's.
 */
export const runCommand: Run = (command, args, { cwd, env, quiet }) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: env ?? process.env,
      stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    let stdout = '';
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, output }));
  });

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await previousRelease(process.env, process.cwd(), runCommand, {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
}
