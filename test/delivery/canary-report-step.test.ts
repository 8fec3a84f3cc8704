import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The deploy workflow's "Canary report" step, run as GitHub runs it (bash -eo pipefail) against
 * a stand-in `aws` that answers as CodeDeploy does, including its refusal of ListDeployments
 * with an application but no deployment group (DeploymentGroupNameRequiredException).
 */
const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const workflow = readFileSync(join(ROOT, '.github/workflows/deploy-stage.yml'), 'utf8');

/** The `run: |` block of the named step, without its indentation. */
function stepScript(yaml: string, name: string): string {
  const lines = yaml.split('\n');
  const start = lines.findIndex((l) => l.trim() === `- name: ${name}`);
  const runAt = lines.findIndex((l, i) => i > start && l.trim() === 'run: |');
  const indent = (lines[runAt + 1] ?? '').search(/\S/);
  const body: string[] = [];
  for (const line of lines.slice(runAt + 1)) {
    if (line.trim() !== '' && line.search(/\S/) < indent) break;
    body.push(line.slice(indent));
  }
  return body.join('\n');
}

/**
 * CodeDeploy as the CLI shows it with `--query … --output text`: two deployment groups, one of
 * which deployed during this run; every call is appended to calls.log.
 */
const FAKE_AWS = `#!/usr/bin/env bash
echo "$*" >> "$FAKE_DIR/calls.log"
args=" $* "
case "$1 $2" in
  "deploy list-deployment-groups")
    printf 'Parley-staging-Api-FnchatDeployment\\tParley-staging-Api-FnhealthDeployment\\n' ;;
  "deploy list-deployments")
    if [[ "$args" == *" --application-name "* && "$args" != *" --deployment-group-name "* ]]; then
      echo "An error occurred (DeploymentGroupNameRequiredException) when calling the ListDeployments operation: Deployment group name is required" >&2
      exit 254
    fi
    if [[ "$args" == *" --deployment-group-name Parley-staging-Api-FnchatDeployment "* ]]; then
      echo "d-CHAT00001"
    else
      echo ""
    fi ;;
  "deploy batch-get-deployments")
    echo '{"deploymentsInfo":[{"deploymentId":"d-CHAT00001","deploymentGroupName":"Parley-staging-Api-FnchatDeployment","status":"Succeeded"}]}' ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
`;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-canary-step-'));
  await writeFile(join(dir, 'aws'), FAKE_AWS);
  await chmod(join(dir, 'aws'), 0o755);
  // The step runs in a checkout: the report script and its dependencies, but the files it
  // writes (deployments.json) land here, not in the repository.
  // (A copy: the script runs its main only when started as itself, not through a link.)
  await mkdir(join(dir, 'bin'));
  await copyFile(join(ROOT, 'package.json'), join(dir, 'package.json'));
  await copyFile(join(ROOT, 'bin/canary-report.ts'), join(dir, 'bin/canary-report.ts'));
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the canary report step', () => {
  it('lists the deployments of every deployment group of the stage and reports them', async () => {
    // Prepare
    const script = stepScript(workflow, 'Canary report (job summary)');
    const summary = join(dir, 'summary.md');

    // Act
    await run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
      cwd: dir,
      env: {
        PATH: [dir, join(ROOT, 'node_modules/.bin'), process.env.PATH].join(delimiter),
        FAKE_DIR: dir,
        STAGE: 'staging',
        STARTED: '2026-12-03T10:00:00Z',
        GITHUB_STEP_SUMMARY: summary,
      },
    }).catch((error: { stderr?: string }) => {
      throw new Error(`the step failed: ${error.stderr ?? String(error)}`);
    });

    // Assess: one ListDeployments per group, each naming it; the deployment found is reported.
    const calls = (await readFile(join(dir, 'calls.log'), 'utf8')).trim().split('\n');
    expect(calls[0]).toMatch(/^deploy list-deployment-groups --application-name parley-staging-api /);
    const listings = calls.filter((c) => c.startsWith('deploy list-deployments '));
    expect(listings.map((c) => /--deployment-group-name (\S+)/.exec(c)?.[1])).toEqual([
      'Parley-staging-Api-FnchatDeployment',
      'Parley-staging-Api-FnhealthDeployment',
    ]);
    for (const c of listings) expect(c).toContain('--create-time-range start=2026-12-03T10:00:00Z');
    expect(calls.at(-1)).toBe('deploy batch-get-deployments --deployment-ids d-CHAT00001 --output json');
    expect(await readFile(summary, 'utf8')).toContain(
      '| Parley-staging-Api-FnchatDeployment | d-CHAT00001 | Succeeded | released |',
    );
  }, 60_000);
});
