import { App, Stack } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { handlerGroups } from '#api/index';
import { parseStageConfig, stageConfig } from '../../lib/config/stages';
import { alarmPublishers } from '../../lib/stacks/foundation-stack';
import { CUSTOM_DOMAIN } from '../infra/fixtures';
import {
  addParleyAccount,
  addParleyStage,
  cdkJsonContext,
  PERMISSIONS_BOUNDARY_NAME,
} from '../../lib/parley-app';

/**
 * What operators take from the docs matches what `cdk deploy` creates: the function log groups
 * docs/runbook.md sends them to, and the CloudFormation execution policy of docs/deployment.md,
 * which must allow every service whose resources the stacks hold.
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

type Template = {
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Transform?: unknown;
};
type Resource = NonNullable<Template['Resources']>[string];
/** Prod's resources. */
let resources: Resource[];
/** Every stage's templates, prod's with a custom domain in a Route 53 zone, and the account stack's. */
let templates: Template[];

beforeAll(() => {
  // As CloudFormation gets them (no bundling, no cdk-nag: names and types are all that is read).
  const synth = (add: (app: App) => void) => {
    const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
    add(app);
    return app.synth().stacks.map((s) => s.template as Template);
  };
  const prod = synth((app) => addParleyStage(app, stageConfig('prod')));
  resources = prod.flatMap((t) => Object.values(t.Resources ?? {}));
  templates = [
    ...prod,
    ...(['dev', 'staging'] as const).flatMap((stage) =>
      synth((app) => addParleyStage(app, stageConfig(stage))),
    ),
    // Its alias records are the only Route 53 resources a stage may hold.
    ...synth((app) =>
      addParleyStage(
        app,
        parseStageConfig({ ...stageConfig('prod'), web: { ...stageConfig('prod').web, ...CUSTOM_DOMAIN } }),
      ),
    ),
    ...synth((app) => addParleyAccount(app, stageConfig('dev'))),
  ];
}, 240_000);

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

  it('names the hosted rotation functions by the prefix of the names CDK gives them', () => {
    // Prepare: the rotation applications' function names in prod.
    const rotationFunctions = resources
      .filter((r) => r.Type === 'AWS::Serverless::Application')
      .map((r) => String((r.Properties?.Parameters as { functionName?: unknown } | undefined)?.functionName));

    // Act: the runbook's `/aws/lambda/<prefix>…` names, for prod.
    const prefixes = [...read('docs/runbook.md').matchAll(/`\/aws\/lambda\/([^`\s…]+)…`/g)].map((m) =>
      (m[1] ?? '').replace('<stage>', 'prod'),
    );

    // Assess: one per secret (the master user's and the application role's), each a real function.
    expect(prefixes).toHaveLength(2);
    expect(rotationFunctions).toHaveLength(2);
    for (const prefix of prefixes)
      expect(
        rotationFunctions.filter((f) => f.startsWith(prefix)),
        prefix,
      ).toHaveLength(1);
  });
});

describe('the AWS CLI commands in the docs', () => {
  /** Each command of a page, with its `\`-continued lines joined. */
  const commands = (markdown: string) => markdown.replace(/\\\n\s*/g, ' ').split('\n');

  it('name functions that exist: API functions are parley-<stage>-api-<group>', () => {
    // Prepare: prod's function names, with the stage as the docs write it.
    const functions = new Set(
      resources
        .filter((r) => r.Type === 'AWS::Lambda::Function' && typeof r.Properties?.FunctionName === 'string')
        .map((r) => String(r.Properties?.FunctionName).replace('parley-prod-', 'parley-<stage>-')),
    );

    // Act: every --function-name of the runbook and the troubleshooting guide (`<group>` expanded,
    // an alias or version after `:` left out).
    const named = ['docs/runbook.md', 'docs/troubleshooting.md'].flatMap((page) =>
      [...read(page).matchAll(/--function-name (parley-<stage>-[\w<>-]+)/g)]
        .map((m) => m[1] ?? '')
        .flatMap((name) =>
          name.includes('<group>') ? handlerGroups.map((g) => name.replace('<group>', g)) : [name],
        )
        .map((name) => ({ page, name })),
    );

    // Assess
    expect(named.length).toBeGreaterThan(3);
    expect(named.filter(({ name }) => !functions.has(name))).toEqual([]);
  });

  it('give CloudWatch Logs Insights its query syntax, not a metric filter pattern', () => {
    for (const page of ['docs/runbook.md', 'docs/troubleshooting.md']) {
      const paragraphs = read(page).split(/\n\s*\n/);
      const insights = paragraphs.filter((p) => /Logs\s+Insights/.test(p));
      expect(insights.length, page).toBeGreaterThan(0);
      // `{ $.field = … }` is the filter-pattern syntax of metric filters and subscriptions.
      for (const p of insights) expect(p, page).not.toMatch(/\{\s*\$\./);
    }
  });

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

  it('restore a database with the Data API turned on after the restore, which has no option for it', () => {
    // Prepare / Act: the runbook's commands.
    const lines = commands(read('docs/runbook.md'));
    const restores = lines.filter((line) =>
      /aws rds restore-db-cluster-(to-point-in-time|from-snapshot) /.test(line),
    );

    // Assess: RestoreDBClusterToPointInTime and RestoreDBClusterFromSnapshot take no
    // EnableHttpEndpoint; EnableHttpEndpoint on the restored cluster does it.
    expect(restores.length).toBeGreaterThan(0);
    for (const line of restores) expect(line).not.toContain('--enable-http-endpoint');
    expect(lines.some((line) => /^aws rds enable-http-endpoint --resource-arn /.test(line))).toBe(true);
  });
});

/**
 * The IAM service prefixes CloudFormation needs to create each namespace's resources. A namespace
 * not here fails the test below: add it, and the policy's services, in docs/deployment.md step 2.
 */
const SERVICES_OF_NAMESPACE: Readonly<Record<string, string | readonly string[]>> = {
  ApiGateway: 'apigateway',
  // CreateBackupVault also needs backup-storage:MountCapsule, which backup:* does not hold (AWS
  // Backup developer guide, "Backup vault creation and deletion": required permissions).
  Backup: ['backup', 'backup-storage'],
  CloudFront: 'cloudfront',
  CloudWatch: 'cloudwatch',
  CodeDeploy: 'codedeploy',
  Cognito: 'cognito-idp',
  EC2: 'ec2',
  ElastiCache: 'elasticache',
  IAM: 'iam',
  KMS: 'kms',
  Lambda: 'lambda',
  Logs: 'logs',
  RDS: 'rds',
  Route53: 'route53',
  S3: 's3',
  SNS: 'sns',
  SSM: 'ssm',
  Scheduler: 'scheduler',
  SecretsManager: 'secretsmanager',
  // The hosted rotation application (SAR), expanded by CloudFormation's serverless transform.
  Serverless: 'serverlessrepo',
  WAFv2: 'wafv2',
};

describe('docs/deployment.md', () => {
  /** The actions of the CloudFormation execution policy the guide creates. */
  const executionPolicyActions = () => {
    const guide = read('docs/deployment.md');
    const document = /--policy-name parley-cdk-execution --policy-document '([^']+)'/.exec(guide)?.[1] ?? '';
    const policy = JSON.parse(document) as {
      Statement: { Effect: string; Action: string[]; Resource: string }[];
    };
    return new Set(policy.Statement.filter((st) => st.Effect === 'Allow').flatMap((st) => st.Action));
  };

  /**
   * The services the templates need: by resource type (a custom resource is a Lambda function
   * CloudFormation invokes), a transform (a change set CloudFormation expands: the hosted
   * rotation application) and SSM parameter types (CloudFormation reads the parameter: CDK's
   * bootstrap version, the cache endpoint), with the resource types no namespace above maps.
   */
  const neededServices = () => {
    const types = new Set(templates.flatMap((t) => Object.values(t.Resources ?? {}).map((r) => r.Type)));
    const needed = new Set<string>();
    const unknown: string[] = [];
    for (const type of types) {
      const [vendor, namespace = ''] = type.split('::');
      const services = SERVICES_OF_NAMESPACE[namespace];
      if (vendor === 'Custom') needed.add('lambda');
      else if (namespace === 'CDK') continue;
      else if (services) for (const service of [services].flat()) needed.add(service);
      else unknown.push(type);
    }
    if (templates.some((t) => t.Transform)) needed.add('cloudformation');
    const parameterTypes = templates.flatMap((t) =>
      Object.values((t as { Parameters?: Record<string, { Type: string }> }).Parameters ?? {}).map(
        (p) => p.Type,
      ),
    );
    if (parameterTypes.some((type) => type.startsWith('AWS::SSM::Parameter::'))) needed.add('ssm');
    return { types, needed, unknown };
  };

  it('allows CloudFormation (parley-cdk-execution) every service whose resources a stage or the account stack holds', () => {
    // Prepare
    const allowed = executionPolicyActions();

    // Act
    const { types, needed, unknown } = neededServices();

    // Assess
    expect(unknown, 'map these resource types to their IAM services above').toEqual([]);
    expect(types.has('AWS::Scheduler::Schedule')).toBe(true);
    const missing = [...needed].filter((service) => !allowed.has(`${service}:*`) && !allowed.has('*'));
    expect(missing, 'add these services to parley-cdk-execution in docs/deployment.md').toEqual([]);
  });

  it('allows CloudFormation no service that no stage or the account stack needs', () => {
    // Prepare
    const allowed = executionPolicyActions();

    // Act: the policy's services that no template needs (e.g. events:*, though the retention
    // run's schedule is EventBridge Scheduler's and no template holds an AWS::Events resource).
    const { needed } = neededServices();
    const unneeded = [...allowed].filter((action) => !needed.has(action.replace(/:\*$/, '')));

    // Assess: each a service wildcard, each needed.
    expect([...allowed].filter((action) => !/^[a-z0-9-]+:\*$/.test(action))).toEqual([]);
    expect(unneeded, 'take these services out of parley-cdk-execution in docs/deployment.md').toEqual([]);
  });
});

describe('docs/security.md', () => {
  it("names as the alarm topic key's users exactly the services that may publish to the topic", () => {
    // Prepare: the services the Foundation stack admits, by the names the page uses.
    const NAMES: Record<string, string> = {
      'cloudwatch.amazonaws.com': 'CloudWatch',
      'events.amazonaws.com': 'EventBridge',
    };
    const admitted = alarmPublishers(new Stack(), 'prod').map((p) => NAMES[p.principal] ?? p.principal);

    // Act: what the page says of AlarmTopicKey, to the end of its table cell.
    const page = read('docs/security.md');
    const start = page.indexOf('`AlarmTopicKey` (');
    const said = page.slice(start, page.indexOf('|', start));

    // Assess
    expect(start).toBeGreaterThan(0);
    for (const [, name] of Object.entries(NAMES))
      expect(said.includes(name), `${name} in: ${said}`).toBe(admitted.includes(name));
  });
});

describe('README.md', () => {
  it('prepares the account (boundary policy, bootstrap, account stack) before the first stage deploy', () => {
    // Prepare: the README's deploying section.
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('## Deploying'), readme.indexOf('## Repository'));

    // Act: where each step comes in it.
    const order = [
      PERMISSIONS_BOUNDARY_NAME,
      'npx cdk bootstrap',
      '--cloudformation-execution-policies',
      'npx cdk deploy -c account=true',
      'npx cdk deploy --all -c stage=dev',
    ].map((step) => section.indexOf(step));

    // Assess: every role a stage creates carries the boundary, which only step 2 of the guide
    // creates; the stage's deploy role trusts the account stack's OIDC provider.
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});

describe('what the docs say the stage holds', () => {
  it('counts the API functions there are', () => {
    expect(read('docs/deployment.md')).toContain(
      `${handlerGroups.length} API functions (${handlerGroups.join(', ')})`,
    );
  });

  it("names every function whose errors page through the composite 'users affected' alarm", () => {
    // Prepare: the composite's rule, as CloudFormation gets it.
    const composite = resources.find((r) => r.Type === 'AWS::CloudWatch::CompositeAlarm');
    const rule = JSON.stringify(composite?.Properties?.AlarmRule);

    // Act: the function groups whose errors alarms it watches.
    const groups = [...new Set([...rule.matchAll(/parley-prod-api-(\w+)-errors/g)].map((m) => m[1] ?? ''))];

    // Assess: the runbook's row and the deployment guide's summary name each of them.
    expect(groups.sort()).toEqual(['chat', 'conversations']);
    const row = read('docs/runbook.md')
      .split('\n')
      .find((line) => line.startsWith('| `parley-<stage>-users-affected`'));
    const summary = read('docs/deployment.md')
      .split(/\n\s*\n/)
      .find((p) => p.includes('The composite `parley-<stage>-users-affected`'));
    for (const group of groups) {
      expect(row, 'docs/runbook.md').toContain(group);
      expect(summary, 'docs/deployment.md').toContain(group);
    }
  });
});
