import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createParleyApp, EDGE_ACL_REFERENCE_CONTEXT } from '../../lib/parley-app';
import { signInActivityLogGroupName } from '../../lib/stacks/auth-stack';
import { ourFunctions, resourcesOfType, type SynthesizedStage, synthesizeStage } from './support';

/**
 * What holds across the whole app, whatever stack a resource is in: encryption, bucket access,
 * IAM, alarm routing and, in prod, what is retained on delete. Each stack's and construct's own
 * resources are asserted in stacks/ and constructs/, as lib/ is laid out.
 */
let dev: SynthesizedStage;
let prod: SynthesizedStage;
/** dev under `-c edgeAclReference=both`: the first of the two upgrade deploys (docs/deployment.md). */
let devBoth: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
  prod = synthesizeStage('prod');
  devBoth = synthesizeStage('dev', { context: { [EDGE_ACL_REFERENCE_CONTEXT]: 'both' } });
});

/**
 * What `-c edgeAclReference=both` keeps for one deploy, exactly as an earlier release deployed it:
 * CDK's export writer in EdgeWaf, whose function and role CDK adds after our constructs and
 * aspects (so no declared log group, no permissions boundary). Only that stage may hold them.
 */
const TRANSITIONAL_WRITER = {
  function: /^edgeWaf\/CustomCrossRegionExportWriterCustomResourceProviderHandler[0-9A-F]{8}$/,
  role: /^edgeWaf\/CustomCrossRegionExportWriterCustomResourceProviderRole[0-9A-F]{8}$/,
};

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
type TemplateResource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string | string[] };
type PolicyStatement = Statement & { Condition?: Record<string, Record<string, unknown>> };
const asArray = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

/** Actions AWS offers no resource-level permissions for (the one IAM5 Resource::* acknowledgement). */
const RESOURCE_STAR_ALLOWED = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
  'cloudwatch:DescribeAlarms',
]);

function identityStatements(stage: SynthesizedStage): { where: string; statement: Statement }[] {
  const policies = [
    ...resourcesOfType(stage, 'AWS::IAM::Policy').map((p) => ({ where: p.id, doc: p.props.PolicyDocument })),
    ...resourcesOfType(stage, 'AWS::IAM::Role').flatMap((r) =>
      asArray((r.props.Policies ?? []) as { PolicyDocument: unknown }[]).map((p) => ({
        where: r.id,
        doc: p.PolicyDocument,
      })),
    ),
  ];
  return policies.flatMap(({ where, doc }) =>
    ((doc as { Statement: Statement[] }).Statement ?? []).map((statement) => ({ where, statement })),
  );
}

describe('encryption at rest', () => {
  it('encrypts every log group with KMS (but the one Cognito exports to) and gives it a retention', () => {
    const groups = resourcesOfType(dev, 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThan(10);
    // Cognito delivers its user-activity export only to a log group without a KMS key.
    const cognitoExport = groups.filter((g) => g.props.LogGroupName === signInActivityLogGroupName('dev'));
    expect(cognitoExport.map((g) => g.stack)).toEqual(['auth']);
    for (const g of groups) {
      if (cognitoExport.includes(g)) continue;
      expect(g.props.KmsKeyId, `${g.stack}/${g.id}`).toBeDefined();
      expect(g.props.RetentionInDays, `${g.stack}/${g.id}`).toBeGreaterThan(0);
    }
  });

  it("declares the log group of every function a template creates, with the stage's retention and the ops key", () => {
    // Lambda creates /aws/lambda/<name> at a function's first run when nothing declared it: kept
    // for ever, without our key. Each function's group is its LoggingConfig's, or the group named
    // after it (its fixed name, or its Ref when CloudFormation names it); the hosted rotation
    // functions (created by the rotation application) are named by its functionName parameter.
    // No exceptions: a function CDK adds while synthesizing (after our constructs, as its
    // cross-region export writer and reader were) would have no declared group and fails here;
    // but the writer that `-c edgeAclReference=both` keeps for one deploy, and only there.
    for (const stage of [dev, prod, devBoth]) {
      const { config } = stage.stacks;
      const undeclared: string[] = [];
      for (const [stack, template] of Object.entries(stage.templates)) {
        const resources = (template.toJSON() as { Resources: Record<string, TemplateResource> }).Resources;
        const groups = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Logs::LogGroup');
        const named = (name: unknown) =>
          groups.find(([, g]) => JSON.stringify(g.Properties?.LogGroupName) === JSON.stringify(name));
        const check = (what: string, found: [string, TemplateResource] | undefined) => {
          if (!found) return undeclared.push(`${stack}/${what}`);
          const [, group] = found;
          expect(group.Properties?.RetentionInDays, `${stack}/${what}`).toBe(config.logRetentionDays);
          expect(JSON.stringify(group.Properties?.KmsKeyId), `${stack}/${what}`).toMatch(/OpsKey/);
        };
        for (const [id, fn] of Object.entries(resources).filter(
          ([, r]) => r.Type === 'AWS::Lambda::Function',
        )) {
          const props = fn.Properties ?? {};
          const ref = (props.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup?.Ref;
          const found =
            groups.find(([gid]) => gid === ref) ??
            (typeof props.FunctionName === 'string'
              ? named(`/aws/lambda/${props.FunctionName}`)
              : named({ 'Fn::Join': ['', ['/aws/lambda/', { Ref: id }]] }));
          check(id, found);
          // CloudFormation names it: the group must exist before a custom resource invokes it.
          if (found && props.FunctionName === undefined && !ref) {
            for (const [cid, cr] of Object.entries(resources).filter(([, r]) =>
              JSON.stringify(r.Properties?.ServiceToken ?? '').includes(`"${id}"`),
            ))
              expect([cr.DependsOn ?? []].flat(), `${stack}/${cid}`).toContain(found[0]);
          }
        }
        for (const [id, app] of Object.entries(resources).filter(
          ([, r]) => r.Type === 'AWS::Serverless::Application',
        )) {
          const name = (app.Properties?.Parameters as { functionName?: string } | undefined)?.functionName;
          const found = named(`/aws/lambda/${name}`);
          check(`${id} (${name})`, found);
          // Before the application, whose rotation may run as soon as it exists.
          if (found) expect([app.DependsOn ?? []].flat(), `${stack}/${id}`).toContain(found[0]);
        }
      }
      if (stage === devBoth) {
        expect(undeclared).toHaveLength(1);
        expect(undeclared[0]).toMatch(TRANSITIONAL_WRITER.function);
      } else expect(undeclared).toEqual([]);
    }
  });

  it('encrypts the alarm topic and every bucket', () => {
    dev.templates.foundation.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    for (const b of resourcesOfType(dev, 'AWS::S3::Bucket')) {
      expect(b.props.BucketEncryption, b.id).toBeDefined();
    }
  });

  it('rotates every KMS key', () => {
    for (const k of resourcesOfType(dev, 'AWS::KMS::Key')) expect(k.props.EnableKeyRotation, k.id).toBe(true);
  });
});

describe('transport security', () => {
  it('denies non-TLS access to every bucket', () => {
    for (const p of resourcesOfType(dev, 'AWS::S3::BucketPolicy')) {
      expect(JSON.stringify(p.props.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });
});

describe('web front door', () => {
  it('keeps every bucket private', () => {
    for (const b of resourcesOfType(dev, 'AWS::S3::Bucket')) {
      expect(b.props.PublicAccessBlockConfiguration, b.id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
  });
});

describe('least privilege', () => {
  it('grants no IAM action with a wildcard', () => {
    for (const { where, statement } of identityStatements(dev)) {
      for (const action of asArray(statement.Action)) {
        expect(action, where).not.toBe('*');
        expect(action.endsWith(':*'), `${where}: ${action}`).toBe(false);
      }
    }
  });

  it("lets the API functions call Cognito's admin APIs only as their routes need, on the stage's pool", () => {
    const byFunction = new Map<string, { actions: string[]; resources: unknown[] }>();
    for (const policy of resourcesOfType(dev, 'AWS::IAM::Policy').filter((p) => p.stack === 'api')) {
      const fn = /^Fn(\w+?)Role/.exec(policy.id)?.[1];
      if (!fn) continue;
      for (const statement of (policy.props.PolicyDocument as { Statement: Statement[] }).Statement) {
        const actions = asArray(statement.Action).filter((a) => a.startsWith('cognito-idp:'));
        if (actions.length === 0) continue;
        const entry = byFunction.get(fn) ?? { actions: [], resources: [] };
        entry.actions.push(...actions);
        entry.resources.push(...asArray(statement.Resource));
        byFunction.set(fn, entry);
      }
    }
    // Signing oneself out everywhere revokes one's refresh tokens (AdminUserGlobalSignOut).
    expect(byFunction.get('users')?.actions).toEqual(['cognito-idp:AdminUserGlobalSignOut']);
    expect([...byFunction.keys()].sort()).toEqual(['admin', 'users']);
    for (const [fn, { resources }] of byFunction) {
      expect(JSON.stringify(resources), fn).toMatch(/UserPool.*Arn/);
      expect(resources, fn).not.toContain('*');
    }
  });

  it('grants Resource "*" only for actions that have no resource-level permissions', () => {
    for (const { where, statement } of identityStatements(dev)) {
      if (!asArray(statement.Resource).includes('*')) continue;
      for (const action of asArray(statement.Action)) {
        expect(RESOURCE_STAR_ALLOWED.has(action), `${where}: ${action} on *`).toBe(true);
      }
    }
  });

  it('bounds every role a stage creates by the Parley permissions boundary', () => {
    // But the export writer's role, which `-c edgeAclReference=both` keeps for one deploy.
    for (const stage of [dev, prod, devBoth]) {
      const roles = resourcesOfType(stage, 'AWS::IAM::Role');
      expect(roles.length).toBeGreaterThan(10);
      const unbounded = roles
        .filter(
          (r) =>
            !/:policy\/parley-permissions-boundary"/.test(
              String(JSON.stringify(r.props.PermissionsBoundary)),
            ),
        )
        .map((r) => `${r.stack}/${r.id}`);
      if (stage === devBoth) {
        expect(unbounded).toHaveLength(1);
        expect(unbounded[0]).toMatch(TRANSITIONAL_WRITER.role);
      } else expect(unbounded).toEqual([]);
    }
  });

  it('creates roles outside its templates only in the two rotation applications, which take no boundary', () => {
    // The test above sees the roles the templates declare. A nested stack's roles it cannot see:
    // the stages hold none but the hosted secret-rotation applications (AWS Serverless Application
    // Repository), one per rotated secret, each creating the rotation function's role. CDK's
    // SecretRotation passes them only the endpoint, function name, subnets, security group,
    // excluded characters and the keys and master secret; no permissions boundary, which they
    // do not take (docs/deployment.md, step 2, says so). A new nested stack, transform or hosted
    // rotation would bring roles without it: it fails here.
    for (const stage of [dev, prod]) {
      for (const type of ['AWS::CloudFormation::Stack', 'AWS::SecretsManager::RotationSchedule']) {
        const found = resourcesOfType(stage, type).filter(
          (r) => type !== 'AWS::SecretsManager::RotationSchedule' || r.props.HostedRotationLambda,
        );
        expect(
          found.map((r) => r.id),
          type,
        ).toEqual([]);
      }
      // Only the SAM transform the applications need, in their stack: not the hosted-rotation one
      // (AWS::SecretsManager-2020-07-23), whose rotation function's role is not ours either.
      for (const [name, template] of Object.entries(stage.templates))
        expect(template.toJSON().Transform, name).toEqual(
          name === 'data' ? ['AWS::Serverless-2016-10-31'] : undefined,
        );
      const applications = resourcesOfType(stage, 'AWS::Serverless::Application');
      // The master user's (the cluster's single-user rotation) and the application role's.
      expect(applications.map((a) => `${a.stack}/${a.id}`).sort()).toEqual([
        expect.stringMatching(/^data\/ApplicationSecretRotation[0-9A-F]{8}$/),
        expect.stringMatching(/^data\/DatabaseRotationSingleUser[0-9A-F]{8}$/),
      ]);
      // …and the guide says so, beside the rule it is an exception to.
      expect(readFileSync(join(import.meta.dirname, '../../docs/deployment.md'), 'utf8')).toMatch(
        /secret-rotation functions' roles[\s\S]{0,400}takes no\s+permissions boundary/,
      );
      for (const app of applications) {
        const parameters = Object.keys(app.props.Parameters as Record<string, unknown>);
        expect(
          parameters.filter((p) => /boundary/i.test(p)),
          app.id,
        ).toEqual([]);
        expect(JSON.stringify(stage.templates.data.toJSON().Mappings), app.id).toContain(
          'SecretsManagerRDSPostgreSQLRotationSingleUser',
        );
      }
    }
  });

  it('attaches no AWS-managed policy except the acknowledged ones', () => {
    const allowed = /AmazonAPIGatewayPushToCloudWatchLogs|AWSBackupServiceRolePolicyForBackup/;
    // CDK's framework providers (CustomResourceProvider: the migration trigger, bucket
    // auto-delete, cross-region exports) are not Lambda/IAM L2s and keep their own basic role.
    const framework = /CustomResourceProvider/;
    for (const role of resourcesOfType(dev, 'AWS::IAM::Role').filter((r) => !framework.test(r.id))) {
      for (const arn of asArray(role.props.ManagedPolicyArns ?? [])) {
        expect(JSON.stringify(arn), role.id).toMatch(allowed);
      }
    }
  });
});

describe('monitoring', () => {
  it("keeps every alarm within CloudWatch's rules, which only a deploy would otherwise check", () => {
    // PutMetricAlarm: a period of 10, 20, 30 or a multiple of 60 s; period × evaluation periods
    // at most 7 days, and 1 day for periods under an hour; M of N with M ≤ N; metric math over at
    // most 10 metrics; a Metrics Insights query evaluated over the last 3 hours only, at most 200
    // such alarms per account and Region (docs: CloudWatch "Limits", PutMetricAlarm). The last two
    // as the Limits page words them (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
    // alarm-limits.html): "A default of 200 alarms using the Metrics Insights query per account
    // per Region", "Only the latest 3 hours of data can be used for evaluating the alarm's
    // conditions".
    // An expression as CloudFormation will resolve it: a string, or an Fn::Join of strings and
    // tokens (a query naming a resource of the stack, such as the backup vault).
    const expressionText = (expression: unknown): string => {
      if (typeof expression === 'string') return expression;
      const join = (expression as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
      return join ? join[1].map((part) => (typeof part === 'string' ? part : '${token}')).join(join[0]) : '';
    };
    for (const stage of [dev, prod]) {
      const insights: string[] = [];
      for (const { props } of resourcesOfType(stage, 'AWS::CloudWatch::Alarm')) {
        const name = String(props.AlarmName);
        const queries = (props.Metrics ?? []) as {
          Expression?: unknown;
          MetricStat?: { Period: number };
          Period?: number;
        }[];
        // A metric's own period, or (metric math, Metrics Insights) the period of the first query that has one.
        const period = Number(
          props.Period ?? queries.map((q) => q.Period ?? q.MetricStat?.Period).find((p) => p !== undefined),
        );
        const evaluations = Number(props.EvaluationPeriods);
        expect([10, 20, 30].includes(period) || period % 60 === 0, `${name}: period ${period}`).toBe(true);
        expect(period * evaluations, `${name}: evaluation range`).toBeLessThanOrEqual(
          period >= 3600 ? 604_800 : 86_400,
        );
        expect(Number(props.DatapointsToAlarm ?? evaluations), `${name}: M of N`).toBeLessThanOrEqual(
          evaluations,
        );
        expect(
          queries.filter((q) => q.MetricStat).length,
          `${name}: metrics in its math`,
        ).toBeLessThanOrEqual(10);
        if (queries.some((q) => /^\s*SELECT\b/i.test(expressionText(q.Expression)))) {
          insights.push(name);
          expect(period % 60, `${name}: Metrics Insights period`).toBe(0);
          expect(period * evaluations, `${name}: Metrics Insights range`).toBeLessThanOrEqual(10_800);
        }
      }
      // The failed-backup alarm's query names the vault, a token: it is one of them too.
      expect(insights).toContain(`parley-${stage.stacks.config.stage}-BackupJobFailed`);
      // Each stage's share of the account's 200, with room for three stages and the operator's own.
      expect(insights.length).toBeLessThanOrEqual(50);
    }
  });

  it('sends every alarm to the alarm topic', () => {
    for (const a of resourcesOfType(dev, 'AWS::CloudWatch::Alarm')) {
      expect(a.props.AlarmActions, String(a.props.AlarmName)).toHaveLength(1);
    }
  });

  it('gives every topic a policy that lets its publishers in, each limited to this stage', () => {
    // A topic policy holding only a Deny (what enforceSSL writes) refuses every publisher.
    for (const stage of [dev, prod]) {
      const topics = resourcesOfType(stage, 'AWS::SNS::Topic');
      expect(topics.length).toBeGreaterThan(0);
      const policies = resourcesOfType(stage, 'AWS::SNS::TopicPolicy');
      for (const topic of topics) {
        const statements = policies
          .filter((p) => p.stack === topic.stack && JSON.stringify(p.props.Topics).includes(`"${topic.id}"`))
          .flatMap((p) => (p.props.PolicyDocument as { Statement: PolicyStatement[] }).Statement);
        const allows = statements.filter((s) => s.Effect === 'Allow');
        expect(allows.length, `${topic.stack}/${topic.id} has no Allow`).toBeGreaterThan(0);
        for (const s of allows) {
          expect(s.Condition?.ArnLike?.['aws:SourceArn'], `${topic.id}: aws:SourceArn`).toBeDefined();
          expect(
            s.Condition?.StringEquals?.['aws:SourceAccount'],
            `${topic.id}: aws:SourceAccount`,
          ).toBeDefined();
        }
      }
    }
  });

  it('names every alarm and rule with the stage prefix the topic admits', () => {
    for (const stage of [dev, prod]) {
      const prefix = `parley-${stage.stacks.config.stage}-`;
      const named = [
        ...resourcesOfType(stage, 'AWS::CloudWatch::Alarm').map((a) => a.props.AlarmName),
        ...resourcesOfType(stage, 'AWS::CloudWatch::CompositeAlarm').map((a) => a.props.AlarmName),
        ...resourcesOfType(stage, 'AWS::Events::Rule')
          .filter((r) => JSON.stringify(r.props.Targets ?? []).includes('AlarmTopic'))
          .map((r) => r.props.Name),
      ];
      for (const name of named) expect(String(name)).toMatch(new RegExp(`^${prefix}`));
    }
  });
});

describe('in prod', () => {
  it('retains the data stores, keys and the user pool', () => {
    for (const type of [
      'AWS::KMS::Key',
      'AWS::SecretsManager::Secret',
      'AWS::Backup::BackupVault',
      'AWS::Cognito::UserPool',
    ]) {
      for (const r of resourcesOfType(prod, type))
        expect(r.resource.DeletionPolicy, `${type} ${r.id}`).toBe('Retain');
    }
  });
});

describe('cross-stack references', () => {
  it('passes the cache to the Api stack by SSM parameter and fixed names, not exports', () => {
    // An export of the cache's endpoint or ARN would make replacing the cache fail ("Export …
    // cannot be deleted as it is in use by Parley-<stage>-Api").
    for (const stage of [dev, prod]) {
      const api = JSON.stringify(stage.templates.api.toJSON());
      expect(api).not.toMatch(/ImportValue":"[^"]*Cache/);
      expect(api).toContain(`/parley/${stage.stacks.config.stage}/cache/endpoint`);
    }
  });
});

describe('cross-region references', () => {
  it("reads the edge ACL's ARN with Fn::GetStackOutput, so CDK adds no export writer or reader function", () => {
    // Fn::GetStackOutput resolves another Region's stack output at deploy time
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getstackoutput.html);
    // CDK's strong cross-region reference would add Custom::CrossRegionExportWriter/Reader and
    // their Lambda functions, whose log groups Lambda creates without a retention.
    for (const stage of [dev, prod]) {
      const { edgeWaf } = stage.stacks;
      const all = Object.values(stage.templates).map((t) => JSON.stringify(t.toJSON()));
      for (const json of all) expect(json).not.toMatch(/CrossRegionExport|\/cdk\/exports\//);
      const [distribution] = resourcesOfType(stage, 'AWS::CloudFront::Distribution');
      expect(distribution?.stack).toBe('web');
      const config = distribution?.props.DistributionConfig as { WebACLId?: Record<string, unknown> };
      const output = config.WebACLId?.['Fn::GetStackOutput'] as Record<string, string> | undefined;
      expect(output).toMatchObject({ StackName: edgeWaf.stackName, Region: 'us-east-1' });
      const outputs = stage.templates.edgeWaf.toJSON().Outputs as Record<string, { Value: unknown }>;
      expect(outputs[String(output?.OutputName)]?.Value).toEqual({
        'Fn::GetAtt': [edgeWaf.getLogicalId(edgeWaf.waf.webAcl), 'Arn'],
      });
    }
  });

  it('under -c edgeAclReference=both keeps the export writer beside the output, while Web reads the output and holds no reader', () => {
    // CDK's ReferenceStrength.BOTH: the writer goes on writing the SSM parameter an earlier
    // release's reader imported, so this deploy deletes nothing Web still imports; Web already
    // reads Fn::GetStackOutput and drops its reader. The next deploy, without the switch,
    // removes the writer and its parameter.
    const { edgeWaf, web, config } = devBoth.stacks;
    const aclArn = { 'Fn::GetAtt': [edgeWaf.getLogicalId(edgeWaf.waf.webAcl), 'Arn'] };
    const writers = resourcesOfType(devBoth, 'Custom::CrossRegionExportWriter');
    expect(writers.map((w) => w.stack)).toEqual(['edgeWaf']);
    // The logical id and parameter the release before Fn::GetStackOutput deployed for dev: a
    // different one would replace the writer, deleting the parameter Web's reader still imports.
    expect(writers[0]?.id).toBe('ExportsWritereuwest142AF533A3E3B99E4');
    const writerProps = writers[0]?.props.WriterProps as { region: string; exports: Record<string, unknown> };
    expect(writerProps.region).toBe(config.region);
    const exported = Object.entries(writerProps.exports);
    expect(exported).toHaveLength(1);
    expect(exported[0]?.[0]).toBe(
      `/cdk/exports/${web.stackName}/ParleydevEdgeWafuseast1FnGetAttWafWebAclBE24253CArn8FC8B903`,
    );
    expect(exported[0]?.[1]).toEqual(aclArn);

    const [distribution] = resourcesOfType(devBoth, 'AWS::CloudFront::Distribution');
    expect(distribution?.stack).toBe('web');
    const acl = (distribution?.props.DistributionConfig as { WebACLId?: Record<string, unknown> }).WebACLId;
    const output = acl?.['Fn::GetStackOutput'] as Record<string, string> | undefined;
    expect(output).toMatchObject({ StackName: edgeWaf.stackName, Region: 'us-east-1' });
    const outputs = devBoth.templates.edgeWaf.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs[String(output?.OutputName)]?.Value).toEqual(aclArn);

    expect(resourcesOfType(devBoth, 'Custom::CrossRegionExportReader')).toEqual([]);
    for (const [name, template] of Object.entries(devBoth.templates).filter(([n]) => n !== 'edgeWaf'))
      expect(JSON.stringify(template.toJSON()), name).not.toMatch(/CrossRegionExport|\/cdk\/exports\//);
  });

  it.each([['weak'], ['strong'], ['Both'], [''], [true]])(
    'fails synthesis for edgeAclReference=%j, naming the key and the one value it takes',
    (value) => {
      expect(() =>
        createParleyApp({
          stage: 'dev',
          nag: false,
          context: { [EDGE_ACL_REFERENCE_CONTEXT]: value, 'aws:cdk:bundling-stacks': [] },
        }),
      ).toThrow(/Invalid context edgeAclReference=.*the only value is "both"/);
    },
  );
});

describe('least privilege in the database', () => {
  it('connects the API functions and triggers as the application role, the migrator as master', () => {
    const secretOf = (variables: Record<string, unknown>, name: string) => JSON.stringify(variables[name]);
    for (const f of ourFunctions(dev)) {
      const variables = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
      const where = `${f.stack}/${f.id}`;
      if (f.props.FunctionName === 'parley-dev-migrator') {
        expect(secretOf(variables, 'DB_SECRET_ARN'), where).toMatch(/DatabaseSecretAttachment/);
        expect(secretOf(variables, 'DB_APP_SECRET_ARN'), where).toMatch(/ApplicationSecretAttachment/);
      } else {
        expect(secretOf(variables, 'DB_SECRET_ARN'), where).toMatch(/ApplicationSecretAttachment/);
        expect(variables.DB_APP_SECRET_ARN, where).toBeUndefined();
      }
    }
    // …and may read only that secret.
    for (const { where, statement } of identityStatements(dev)) {
      if (!asArray(statement.Action).includes('secretsmanager:GetSecretValue')) continue;
      const resource = JSON.stringify(statement.Resource);
      if (resource.includes('DatabaseSecretAttachment')) expect(where).toMatch(/^Migrator/);
    }
  });
});
