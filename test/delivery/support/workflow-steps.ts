import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Runs a workflow step's script the way GitHub runs a `run:` step (bash -eo pipefail), against
 * stand-in commands placed first on PATH, so a test can prove what the step does without a runner.
 */
const execFileAsync = promisify(execFile);

/** The lines of one job of a workflow (its key sits at two spaces, under `jobs:`). */
function jobLines(yaml: string, job: string): string[] {
  const lines = yaml.split('\n');
  const start = lines.findIndex((l) => l === `  ${job}:`);
  if (start < 0) throw new Error(`no job ${job}`);
  const end = lines.findIndex((l, i) => i > start && /^ {2}\S/.test(l));
  return lines.slice(start, end < 0 ? undefined : end);
}

/**
 * The script of the first step whose `run` contains `needle` (in the named job, or anywhere), a
 * `run: |` block or a one-line `run:`, without its indentation.
 */
export function runScript(yaml: string, needle: string, job?: string): string {
  const lines = job ? jobLines(yaml, job) : yaml.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    const inline = /^\s*(- )?run: (?!\|)(.*)$/.exec(line);
    if (inline?.[2]?.includes(needle)) return inline[2];
    if (/^\s*(- )?run: \|$/.test(line)) {
      const block = blockAt(lines, i);
      if (block.includes(needle)) return block;
    }
  }
  throw new Error(`no step runs ${needle}`);
}

function blockAt(lines: string[], runAt: number): string {
  const indent = (lines[runAt + 1] ?? '').search(/\S/);
  const body: string[] = [];
  for (const line of lines.slice(runAt + 1)) {
    if (line.trim() !== '' && line.search(/\S/) < indent) break;
    body.push(line.slice(indent));
  }
  return body.join('\n').trimEnd();
}

export interface StepRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `script` with bash -eo pipefail in a fresh temporary folder holding the stand-ins (name →
 * bash script body), which come first on PATH. Each stand-in sees FAKE_DIR (that folder).
 * Returns the exit code instead of throwing, and removes the folder afterwards.
 */
export async function runStep(
  script: string,
  standIns: Record<string, string>,
  env: Record<string, string> = {},
  inspect?: (dir: string) => Promise<void>,
): Promise<StepRun> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-step-'));
  try {
    for (const [name, body] of Object.entries(standIns)) {
      await writeFile(join(dir, name), `#!/usr/bin/env bash\n${body}\n`);
      await chmod(join(dir, name), 0o755);
    }
    const result = await execFileAsync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
      cwd: dir,
      env: { PATH: [dir, process.env.PATH].join(delimiter), FAKE_DIR: dir, ...env },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: typeof error.code === 'number' ? error.code : -1,
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
      }),
    );
    await inspect?.(dir);
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
