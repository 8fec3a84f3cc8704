import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScript, runStep } from './support/workflow-steps';

/**
 * The deploy workflow's guard, run as GitHub runs it against a stand-in `gh` that answers as the
 * GitHub API does: main's tip (GET /repos/{repo}/commits/main) and ci's runs of a commit. Its
 * `--jq` goes through jq, as gh applies it.
 */
const ROOT = join(import.meta.dirname, '../..');
const workflow = readFileSync(join(ROOT, '.github/workflows/deploy.yml'), 'utf8');
const stageWorkflow = readFileSync(join(ROOT, '.github/workflows/deploy-stage.yml'), 'utf8');

const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);

/** FAKE_TIP: main's tip; FAKE_CI_RUNS: ci's push runs of FAKE_CI_SHA, as `--json conclusion`. */
const FAKE_GH = `echo "gh $*" >> "$FAKE_DIR/calls.log"
args=("$@"); jq_expr=""; commit=""; workflow=""; event=""
for ((i = 0; i < \${#args[@]}; i++)); do
  case "\${args[i]}" in
    --jq) jq_expr="\${args[i+1]}" ;;
    --commit) commit="\${args[i+1]}" ;;
    --workflow) workflow="\${args[i+1]}" ;;
    --event) event="\${args[i+1]}" ;;
  esac
done
case "$1 $2" in
  "api repos/acme/parley/commits/main") out="{\\"sha\\":\\"$FAKE_TIP\\",\\"commit\\":{}}" ;;
  "run list")
    if [ "$workflow" = ci.yml ] && [ "$commit" = "$FAKE_CI_SHA" ] && [ "$event" = push ]; then
      out="$FAKE_CI_RUNS"
    else
      out='[]'
    fi ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
if [ -n "$jq_expr" ]; then jq -r "$jq_expr" <<<"$out"; else echo "$out"; fi`;

interface Scenario {
  readonly event: 'workflow_run' | 'workflow_dispatch';
  readonly sha: string;
  readonly tip: string;
  readonly ciRuns?: readonly string[];
}

/** Runs the guard step: what it tells the stage jobs, what it printed, and the gh calls made. */
async function guard(scenario: Scenario) {
  const script = runScript(workflow, 'gh api', 'guard');
  let output = '';
  let calls: string[] = [];
  const result = await runStep(
    script,
    { gh: FAKE_GH },
    {
      GH_REPO: 'acme/parley',
      GH_TOKEN: 'stand-in',
      EVENT: scenario.event,
      SHA: scenario.sha,
      FAKE_TIP: scenario.tip,
      FAKE_CI_SHA: scenario.sha,
      FAKE_CI_RUNS: JSON.stringify((scenario.ciRuns ?? []).map((conclusion) => ({ conclusion }))),
      // Relative to the step's working folder, which the runner gives it.
      GITHUB_OUTPUT: 'output',
    },
    async (dir) => {
      output = await readFile(join(dir, 'output'), 'utf8').catch(() => '');
      calls = (await readFile(join(dir, 'calls.log'), 'utf8').catch(() => '')).trim().split('\n');
    },
  );
  const outputs = Object.fromEntries(
    output
      .trim()
      .split('\n')
      .map((line) => line.split('=') as [string, string]),
  );
  return { ...result, outputs, calls };
}

describe('the deploy guard', () => {
  it('deploys the commit ci passed on when it is still the tip of main', async () => {
    // Act
    const result = await guard({ event: 'workflow_run', sha: NEW, tip: NEW });

    // Assess
    expect(result.code).toBe(0);
    expect(result.outputs).toEqual({ sha: NEW, deploy: 'true' });
    expect(result.calls).toEqual(['gh api repos/acme/parley/commits/main --jq .sha']);
  });

  it('skips an older commit (a re-run of an older ci run) with a notice, without failing', async () => {
    // Act
    const result = await guard({ event: 'workflow_run', sha: OLD, tip: NEW });

    // Assess
    expect(result.code).toBe(0);
    expect(result.outputs).toEqual({ sha: OLD, deploy: 'false' });
    expect(result.stdout).toContain(
      `::notice title=Not deployed::${OLD} is no longer the tip of main (${NEW})`,
    );
  });

  it('deploys a manual run of main when a ci run of its tip passed', async () => {
    // Act
    const result = await guard({
      event: 'workflow_dispatch',
      sha: NEW,
      tip: NEW,
      ciRuns: ['failure', 'success'],
    });

    // Assess
    expect(result.outputs).toEqual({ sha: NEW, deploy: 'true' });
    expect(result.calls[1]).toMatch(
      new RegExp(`^gh run list --workflow ci\\.yml --commit ${NEW} --event push `),
    );
  });

  it.each([
    ['no ci run of it', []],
    ['only failed or cancelled ci runs', ['failure', 'cancelled']],
  ])('skips a manual run of main with %s', async (_case, ciRuns) => {
    // Act
    const result = await guard({ event: 'workflow_dispatch', sha: NEW, tip: NEW, ciRuns });

    // Assess
    expect(result.code).toBe(0);
    expect(result.outputs).toEqual({ sha: NEW, deploy: 'false' });
    expect(result.stdout).toContain(`::notice title=Not deployed::ci has not passed on ${NEW}`);
  });

  it('skips a manual run whose commit is no longer the tip of main', async () => {
    // Act
    const result = await guard({ event: 'workflow_dispatch', sha: OLD, tip: NEW, ciRuns: ['success'] });

    // Assess
    expect(result.outputs).toEqual({ sha: OLD, deploy: 'false' });
  });

  it('fails the run, deploying nothing, when GitHub cannot say what main’s tip is', async () => {
    // Prepare: the stand-in knows no other repository.
    const script = runScript(workflow, 'gh api', 'guard');

    // Act
    const result = await runStep(
      script,
      { gh: FAKE_GH },
      { GH_REPO: 'acme/other', EVENT: 'workflow_run', SHA: NEW, GITHUB_OUTPUT: 'output' },
    );

    // Assess
    expect(result.code).not.toBe(0);
  });
});

describe('the stage’s own check, once its environment has approved the job', () => {
  const recheck = (ref: string, tip: string) =>
    runStep(
      runScript(stageWorkflow, 'gh api', 'deploy'),
      { gh: FAKE_GH },
      { GH_REPO: 'acme/parley', GH_TOKEN: 'stand-in', REF: ref, FAKE_TIP: tip },
    );

  it('comes before anything is deployed', () => {
    const check = stageWorkflow.indexOf('- name: Still the tip of main');
    expect(check).toBeGreaterThan(0);
    expect(check).toBeLessThan(stageWorkflow.indexOf('npx cdk deploy'));
  });

  it('lets the tip of main through', async () => {
    // Act
    const result = await recheck(NEW, NEW);

    // Assess
    expect(result.code).toBe(0);
  });

  it('stops a run approved after a newer commit reached main, saying why', async () => {
    // Act
    const result = await recheck(OLD, NEW);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `::error title=Not deployed::${OLD} is no longer the tip of main (${NEW})`,
    );
  });
});
