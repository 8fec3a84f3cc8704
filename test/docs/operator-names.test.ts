import { App } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { handlerGroups } from '#api/index';
import { stageConfig } from '../../lib/config/stages';
import { addParleyStage, cdkJsonContext } from '../../lib/parley-app';

/**
 * The names operators type from the docs exist in what `cdk deploy` creates: the function log
 * groups docs/runbook.md sends them to.
 */
const ROOT = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Shell-style braces in a code span: `a-{b,c}-d` names `a-b-d` and `a-c-d`. */
function expandBraces(text: string): string[] {
  const match = /\{([^{}]*)\}/.exec(text);
  if (!match) return [text];
  const [whole, inner = ''] = match;
  return inner.split(',').flatMap((option) => expandBraces(text.replace(whole, option)));
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
let resources: { Type: string; Properties?: Record<string, unknown> }[];

beforeAll(() => {
  // Prod, as CloudFormation gets it (no bundling, no cdk-nag: names are all that is read).
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  addParleyStage(app, stageConfig('prod'));
  resources = app
    .synth()
    .stacks.flatMap((s) => Object.values((s.template as { Resources?: Resources }).Resources ?? {}));
}, 120_000);

describe('docs/runbook.md', () => {
  it('names only function log groups that the stage creates, under their exact names', () => {
    // Prepare: the log group names the stage creates, with the stage as the runbook writes it.
    const created = new Set(
      resources
        .filter((r) => r.Type === 'AWS::Logs::LogGroup' && typeof r.Properties?.LogGroupName === 'string')
        .map((r) => String(r.Properties?.LogGroupName).replace('parley-prod-', 'parley-<stage>-')),
    );

    // Act: every /aws/lambda/ name in a code span of the runbook, braces and `<group>` (an API
    // function group) expanded.
    const named = new Set(
      [...read('docs/runbook.md').matchAll(/`(\/aws\/lambda\/[^`\s]+)`/g)]
        .flatMap((m) => expandBraces(m[1] ?? ''))
        .flatMap((name) =>
          name.includes('<group>') ? handlerGroups.map((g) => name.replace('<group>', g)) : [name],
        )
        // Patterns (`…`, `*`) stand for names AWS generates (the hosted rotation functions).
        .filter((name) => !/[…*]/.test(name)),
    );

    // Assess: the API groups, the four triggers, sign-in activity, retention and migrations.
    expect(named.size).toBe(handlerGroups.length + 7);
    expect([...named].filter((name) => !created.has(name))).toEqual([]);
  });
});

describe('the AWS CLI commands in the docs', () => {
  /** Each command of a page, with its `\`-continued lines joined. */
  const commands = (markdown: string) => markdown.replace(/\\\n\s*/g, ' ').split('\n');

  it('give CodeDeploy ListDeployments a deployment group whenever they give it an application', () => {
    // Prepare: the pages operators copy commands from.
    const pages = ['README.md', 'docs/runbook.md', 'docs/deployment.md', 'docs/troubleshooting.md'];

    // Act: every list-deployments call that names an application.
    const calls = pages.flatMap((page) =>
      commands(read(page))
        .filter((line) => /aws deploy list-deployments .*--application-name/.test(line))
        .map((line) => ({ page, line })),
    );

    // Assess: the API refuses an application without a group (DeploymentGroupNameRequiredException).
    expect(calls.length).toBeGreaterThan(0);
    for (const { page, line } of calls) expect(line, page).toMatch(/--deployment-group-name /);
  });
});
