import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { STAGES, type Stage } from '../../lib/config/stages';
import { resourcesOfType, type SynthesizedStage, synthesizeStage } from './support';

/**
 * Rules the AWS services document for what a template may hold, which `cdk synth` does not check
 * and only a deploy would otherwise find, asserted over every stage. Each rule names the AWS page
 * it comes from (title and path).
 */
const stages = {} as Record<Stage, SynthesizedStage>;
beforeAll(() => {
  for (const stage of STAGES) stages[stage] = synthesizeStage(stage);
});

const ACCOUNT = '123456789012';

/** A template value with `Ref`s to pseudo parameters and `Fn::Join` resolved as a deploy would. */
function resolve(value: unknown, region: string): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const v = value as Record<string, unknown>;
  if (v.Ref === 'AWS::AccountId') return ACCOUNT;
  if (v.Ref === 'AWS::Region') return region;
  if (v.Ref === 'AWS::Partition') return 'aws';
  if (v.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
  if (Array.isArray(v['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    const resolved = parts.map((p) => resolve(p, region));
    return resolved.every((p) => typeof p === 'string') ? resolved.join(sep) : value;
  }
  return value;
}

type Templates = SynthesizedStage['templates'];
type StackName = keyof Templates;

function regionOf(stage: SynthesizedStage, stack: StackName): string {
  return stage.stacks[stack].region;
}

describe('Lambda', () => {
  // "Configure Lambda function timeout" (/lambda/latest/dg/configuration-timeout.html): 1-second
  // increments up to a maximum of 900 seconds. "Configure Lambda function memory"
  // (/lambda/latest/dg/resource-model.html): between 128 MB and 10,240 MB in 1-MB increments.
  it.each(STAGES)('%s: gives every function a timeout and memory Lambda accepts', (stage) => {
    const functions = resourcesOfType(stages[stage], 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(5);
    for (const f of functions) {
      const where = `${f.stack}/${f.id}`;
      const { Timeout, MemorySize } = f.props as { Timeout?: number; MemorySize?: number };
      if (Timeout !== undefined) {
        expect(
          Number.isInteger(Timeout) && Timeout >= 1 && Timeout <= 900,
          `${where} Timeout ${Timeout}`,
        ).toBe(true);
      }
      if (MemorySize !== undefined) {
        expect(
          Number.isInteger(MemorySize) && MemorySize >= 128 && MemorySize <= 10_240,
          `${where} MemorySize ${MemorySize}`,
        ).toBe(true);
      }
    }
  });
});

describe('CloudWatch Logs', () => {
  // PutRetentionPolicy, retentionInDays: "Possible values are: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150,
  // 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, and 3653" (AWS SDK for Ruby V3,
  // Aws::CloudWatchLogs::Types::PutRetentionPolicyRequest,
  // /sdk-for-ruby/v3/api/Aws/CloudWatchLogs/Types/PutRetentionPolicyRequest.html).
  const RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
  ];

  it.each(STAGES)('%s: keeps every log group for a number of days CloudWatch Logs accepts', (stage) => {
    const groups = resourcesOfType(stages[stage], 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThan(10);
    for (const g of groups) {
      expect(RETENTION_DAYS, `${g.stack}/${g.id}`).toContain(g.props.RetentionInDays);
    }
  });

  // "Encrypt log data in CloudWatch Logs using AWS Key Management Service"
  // (/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html): CloudWatch Logs must have
  // permissions for the key whenever encrypted data is requested, and it calls KMS with the
  // encryption context kms:EncryptionContext:aws:logs:arn = the log group's ARN. The key's policy
  // must therefore admit the CloudWatch Logs service of the log group's own Region, for log groups
  // of that Region: the edge WAF's log group is in us-east-1, the others in the stage's region.
  it.each(STAGES)(
    "%s: encrypts each log group with a key whose policy admits CloudWatch Logs of the group's Region",
    (stage) => {
      const s = stages[stage];
      const groups = resourcesOfType(s, 'AWS::Logs::LogGroup').filter((g) => g.props.KmsKeyId);
      expect(groups.length).toBeGreaterThan(10);
      for (const g of groups) {
        const where = `${g.stack}/${g.id}`;
        const region = regionOf(s, g.stack as StackName);
        const key = keyOf(s, g.stack as StackName, g.props.KmsKeyId);
        expect(key, `${where}: its key is not a key of this stage`).toBeDefined();
        if (!key) continue;
        expect(regionOf(s, key.stack), `${where}: key in another Region`).toBe(region);
        const statements = (key.policy.Statement ?? []).filter(
          (st) => st.Effect === 'Allow' && st.Principal?.Service === `logs.${region}.amazonaws.com`,
        );
        expect(statements.length, `${where}: no statement for logs.${region}.amazonaws.com`).toBe(1);
        const [st] = statements;
        const actions = [st?.Action ?? []].flat();
        for (const needed of ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey']) {
          expect(
            actions.some((a) => a === needed || (a.endsWith('*') && needed.startsWith(a.slice(0, -1)))),
            `${where}: ${needed}`,
          ).toBe(true);
        }
        const condition = st?.Condition?.ArnLike ?? st?.Condition?.ArnEquals ?? {};
        const context = resolve(condition['kms:EncryptionContext:aws:logs:arn'], region);
        expect(context, where).toBe(`arn:aws:logs:${region}:${ACCOUNT}:log-group:*`);
      }
    },
  );
});

type KeyPolicy = {
  Statement?: {
    Effect: string;
    Principal?: { Service?: string };
    Action?: string | string[];
    Condition?: Record<string, Record<string, unknown>>;
  }[];
};

/** The KMS key (its stack and policy) a KmsKeyId names: GetAtt in the stack, or an import of another's export. */
function keyOf(
  stage: SynthesizedStage,
  stack: StackName,
  keyId: unknown,
): { stack: StackName; policy: KeyPolicy } | undefined {
  const ref = keyId as { 'Fn::GetAtt'?: [string, string]; 'Fn::ImportValue'?: string };
  if (ref['Fn::GetAtt']) {
    const resource = stage.templates[stack].toJSON().Resources[ref['Fn::GetAtt'][0]] as
      { Type: string; Properties: { KeyPolicy: KeyPolicy } } | undefined;
    return resource?.Type === 'AWS::KMS::Key' ? { stack, policy: resource.Properties.KeyPolicy } : undefined;
  }
  const exportName = ref['Fn::ImportValue'];
  if (typeof exportName !== 'string') return undefined;
  for (const [name, template] of Object.entries(stage.templates) as [StackName, Templates[StackName]][]) {
    const outputs = (template.toJSON().Outputs ?? {}) as Record<
      string,
      { Value: unknown; Export?: { Name: string } }
    >;
    const output = Object.values(outputs).find((o) => o.Export?.Name === exportName);
    if (output) return keyOf(stage, name, output.Value);
  }
  return undefined;
}

describe('Cognito', () => {
  // "AWS::Cognito::UserPoolClient TokenValidityUnits"
  // (/AWSCloudFormation/latest/UserGuide/aws-properties-cognito-userpoolclient-tokenvalidityunits.html):
  // AccessTokenValidity and IdTokenValidity range from five minutes to one day (default unit hours),
  // RefreshTokenValidity from 60 minutes to 10 years (default unit days). CDK's UserPoolClient
  // checks the durations it is given too (the synth throws DurationOutOfRange); this also holds
  // for values set on the CloudFormation resource, which CDK does not check.
  const MINUTES = { seconds: 1 / 60, minutes: 1, hours: 60, days: 24 * 60 } as const;
  const RANGES = {
    AccessToken: { min: 5, max: 24 * 60, defaultUnit: 'hours' },
    IdToken: { min: 5, max: 24 * 60, defaultUnit: 'hours' },
    RefreshToken: { min: 60, max: 10 * 365 * 24 * 60, defaultUnit: 'days' },
  } as const;

  it.each(STAGES)('%s: lets every app client issue tokens only for as long as Cognito allows', (stage) => {
    const clients = resourcesOfType(stages[stage], 'AWS::Cognito::UserPoolClient');
    expect(clients.length).toBe(2);
    for (const c of clients) {
      const units = (c.props.TokenValidityUnits ?? {}) as Record<string, keyof typeof MINUTES>;
      for (const [token, range] of Object.entries(RANGES)) {
        const value = c.props[`${token}Validity`];
        if (value === undefined) continue;
        const minutes = (value as number) * MINUTES[units[token] ?? range.defaultUnit];
        const where = `${c.id} ${token}Validity ${String(value)} ${units[token] ?? range.defaultUnit}`;
        expect(minutes >= range.min && minutes <= range.max, where).toBe(true);
      }
    }
  });

  // "AWS::Cognito::UserPoolDomain" (/AWSCloudFormation/latest/UserGuide/aws-resource-cognito-userpooldomain.html)
  // and CreateUserPoolDomain (/cognito-user-identity-pools/latest/APIReference/API_CreateUserPoolDomain.html):
  // a prefix domain is the prefix alone, 1 to 63 characters, ^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$
  // (lowercase letters, numbers and hyphens, no hyphen first or last). The prefix holds the
  // account id, so it is checked with one in place.
  it.each(STAGES)("%s: names the user pool's prefix domain as Cognito requires", (stage) => {
    const s = stages[stage];
    const domains = resourcesOfType(s, 'AWS::Cognito::UserPoolDomain');
    expect(domains.length).toBe(1);
    for (const d of domains) {
      const prefix = resolve(d.props.Domain, regionOf(s, 'auth'));
      expect(prefix).toBe(`parley-${stage}-${ACCOUNT}`);
      expect(prefix).toMatch(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/);
    }
  });

  // "AWS::Cognito::UserPool UserPoolAddOns"
  // (/AWSCloudFormation/latest/TemplateReference/aws-properties-cognito-userpool-userpooladdons.html):
  // threat protection (AdvancedSecurityMode AUDIT or ENFORCED) needs the pool on the Plus tier.
  // (cdk-nag's AwsSolutions pack also fails the synth on a pool off the Plus plan.)
  it.each(STAGES)('%s: puts the user pool on the Plus tier its threat protection needs', (stage) => {
    const pools = resourcesOfType(stages[stage], 'AWS::Cognito::UserPool');
    expect(pools.length).toBe(1);
    for (const p of pools) {
      const mode = (p.props.UserPoolAddOns as { AdvancedSecurityMode?: string } | undefined)
        ?.AdvancedSecurityMode;
      expect(['AUDIT', 'ENFORCED']).toContain(mode);
      expect(p.props.UserPoolTier).toBe('PLUS');
    }
  });
});

describe('API Gateway', () => {
  // "Access logging for REST APIs" (/apigateway/latest/developerguide/set-up-access-logging.html):
  // the access log format must include at least $context.requestId or $context.extendedRequestId.
  // (CDK's Stage refuses a format without either at synth too; this holds for the resource as written.)
  it.each(STAGES)("%s: writes the request's id into every access log line", (stage) => {
    const apiStages = resourcesOfType(stages[stage], 'AWS::ApiGateway::Stage');
    expect(apiStages.length).toBe(1);
    for (const st of apiStages) {
      const format = (st.props.AccessLogSetting as { Format?: string } | undefined)?.Format ?? '';
      expect(format).toMatch(/\$context\.(requestId|extendedRequestId)\b/);
    }
  });
});

describe('CloudFormation outputs', () => {
  type Outputs = Record<string, { Description?: unknown }>;
  // "CloudFormation template Outputs syntax" (/AWSCloudFormation/latest/UserGuide/outputs-section-structure.html):
  // "You can declare a maximum of 200 outputs in a template"; the logical ID "must be alphanumeric
  // (a–z, A–Z, 0–9) and unique within the template"; a Description is "a literal string that's
  // between 0 and 1024 bytes in length. You can't use a parameter or function to specify it."
  it.each(STAGES)(
    '%s: each template holds at most 200 outputs, named and described as the syntax allows',
    (stage) => {
      for (const [stack, template] of Object.entries(stages[stage].templates)) {
        const outputs = (template.toJSON().Outputs ?? {}) as Outputs;
        expect(Object.keys(outputs).length, stack).toBeLessThanOrEqual(200);
        for (const [id, output] of Object.entries(outputs)) {
          expect(id, `${stack} output`).toMatch(/^[A-Za-z0-9]+$/);
          if (output.Description === undefined) continue;
          expect(typeof output.Description, `${stack} ${id}: a literal description`).toBe('string');
          expect(Buffer.byteLength(String(output.Description)), `${stack} ${id}`).toBeLessThanOrEqual(1024);
        }
      }
    },
  );
});

describe('CloudFormation exports', () => {
  type Outputs = Record<string, { Value: unknown; Export?: { Name: string } }>;
  const exportsOf = (stage: SynthesizedStage) =>
    (Object.entries(stage.templates) as [StackName, Templates[StackName]][]).flatMap(([stack, template]) =>
      Object.values((template.toJSON().Outputs ?? {}) as Outputs)
        .filter((o) => o.Export)
        .map((o) => ({ stack, name: o.Export?.Name ?? '', value: o.Value })),
    );
  const importsOf = (stage: SynthesizedStage) =>
    (Object.entries(stage.templates) as [StackName, Templates[StackName]][]).flatMap(([stack, template]) =>
      [...JSON.stringify(template.toJSON()).matchAll(/"Fn::ImportValue":"([^"]+)"/g)].map((m) => ({
        stack,
        name: m[1] ?? '',
      })),
    );

  // "Fn::ImportValue" (/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-importvalue):
  // "You can't create cross-stack references across Regions", and "For each AWS account, Export
  // names must be unique within a Region" (the stages may share an account and a region).
  it.each(STAGES)('%s: imports only exports of a stack in the same Region', (stage) => {
    const s = stages[stage];
    const exported = new Map(exportsOf(s).map((e) => [e.name, e.stack]));
    const imports = importsOf(s);
    expect(imports.length).toBeGreaterThan(5);
    for (const i of imports) {
      const from = exported.get(i.name);
      expect(from, `${i.stack} imports ${i.name}, which no stack of the stage exports`).toBeDefined();
      if (from) expect(regionOf(s, from), `${i.stack} imports ${i.name}`).toBe(regionOf(s, i.stack));
    }
  });

  it('names every export differently in every stage', () => {
    const names = STAGES.flatMap((stage) => exportsOf(stages[stage]).map((e) => e.name));
    expect(names.length).toBeGreaterThan(10);
    expect(new Set(names).size).toBe(names.length);
  });

  // The same page: "After another stack imports an output value, you can't delete the stack that
  // is exporting the output value or modify the exported output value." docs/deployment.md
  // ("Cross-stack references and the two-step change") lists what stays an export, so operators
  // know which changes take two deploys: every exported resource is of a kind it names.
  const DOCUMENTED_AS = {
    'AWS::EC2::Subnet': 'VPC subnets',
    'AWS::EC2::SecurityGroup': "the functions' security group",
    'AWS::SecretsManager::Secret': 'the secrets',
    'AWS::SecretsManager::SecretTargetAttachment': 'the secrets',
    'AWS::KMS::Key': 'the KMS keys',
    'AWS::SNS::Topic': 'the alarm topic',
    'AWS::Cognito::UserPool': 'the user pool',
    'AWS::Cognito::UserPoolClient': 'its clients',
    'AWS::ApiGateway::RestApi': 'the REST API',
    'AWS::RDS::DBCluster': 'the Aurora cluster',
  } as const;
  const guide = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'deployment.md'), 'utf8');
  const stays = /What stays an export: ([^.]+)\./.exec(guide.replace(/\s+/g, ' '))?.[1] ?? '';

  it.each(STAGES)('%s: exports only what docs/deployment.md lists as staying an export', (stage) => {
    const s = stages[stage];
    expect(stays).not.toBe('');
    for (const e of exportsOf(s)) {
      const ref = e.value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      const id = ref.Ref ?? ref['Fn::GetAtt']?.[0] ?? '';
      const type = (s.templates[e.stack].toJSON().Resources[id] as { Type?: string } | undefined)?.Type ?? '';
      const phrase = (DOCUMENTED_AS as Record<string, string>)[type];
      expect(phrase, `${e.name}: a ${type || 'value'} is exported`).toBeDefined();
      expect(stays, `${e.name}: docs/deployment.md does not list ${String(phrase)}`).toContain(phrase);
    }
  });
});

describe('AWS Backup', () => {
  // "How AWS Backup works with supported AWS services"
  // (/aws-backup/latest/devguide/working-with-supported-services.html): a resource type assigned
  // explicitly to a backup plan is backed up even without the service opt-in, but "This does not
  // apply to Aurora, Neptune, and Amazon DocumentDB. For these services to be included, the opt-in
  // must be enabled" (a Region setting). Without it the plan starts no job for the cluster, so
  // BackupJobFailed never fires either: the guide has operators check it once per account and Region.
  const guide = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'deployment.md'), 'utf8');

  it.each(STAGES)(
    "%s: backs Aurora up, and the guide has the Region's opt-in for Aurora checked",
    (stage) => {
      const selections = resourcesOfType(stages[stage], 'AWS::Backup::BackupSelection');
      expect(selections.length).toBe(1);
      expect(JSON.stringify(selections[0]?.props)).toMatch(/:cluster:/);
      expect(guide).toMatch(/aws backup describe-region-settings[^\n]*ResourceTypeOptInPreference\.Aurora/);
      expect(guide).toMatch(
        /aws backup update-region-settings[^\n]*--resource-type-opt-in-preference Aurora=true/,
      );
    },
  );
});

describe('Aurora and AWS Backup schedules', () => {
  // ModifyDBCluster, PreferredBackupWindow (AWS SDK for Kotlin, ModifyDbClusterRequest,
  // /sdk-for-kotlin/api/latest/rds/aws.sdk.kotlin.services.rds.model/-modify-db-cluster-request/preferred-backup-window.html):
  // hh24:mi-hh24:mi in UTC, at least 30 minutes, not conflicting with the maintenance window;
  // PreferredMaintenanceWindow (…/preferred-maintenance-window.html): ddd:hh24:mi-ddd:hh24:mi,
  // days Mon to Sun, at least 30 minutes.
  const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  const minuteOfDay = (hhmm: string) => {
    const [h, m] = hhmm.split(':').map(Number);
    return (h ?? 0) * 60 + (m ?? 0);
  };
  /** [start, end) in minutes of the week; a window past midnight ends the next day. */
  const weekly = (day: number, from: string, to: string, toDay = day): [number, number] => {
    const start = day * 1440 + minuteOfDay(from);
    let end = toDay * 1440 + minuteOfDay(to);
    if (end <= start) end += toDay === day ? 1440 : 7 * 1440;
    return [start, end];
  };
  const overlaps = (a: [number, number], b: [number, number]) =>
    [-7 * 1440, 0, 7 * 1440].some((shift) => a[0] + shift < b[1] && b[0] < a[1] + shift);

  it.each(STAGES)('%s: gives Aurora a backup and a maintenance window RDS accepts', (stage) => {
    const clusters = resourcesOfType(stages[stage], 'AWS::RDS::DBCluster');
    expect(clusters.length).toBe(1);
    for (const c of clusters) {
      const backupWindow = String(c.props.PreferredBackupWindow);
      const maintenance = String(c.props.PreferredMaintenanceWindow).toLowerCase();
      const b = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(backupWindow);
      const m = /^(\w{3}):(\d\d:\d\d)-(\w{3}):(\d\d:\d\d)$/.exec(maintenance);
      expect(b, backupWindow).not.toBeNull();
      expect(m, maintenance).not.toBeNull();
      if (!b || !m) continue;
      const [, fromDay = '', from = '', toDay = '', to = ''] = m;
      expect(DAYS).toContain(fromDay);
      expect(DAYS).toContain(toDay);
      const maintenanceWindow = weekly(DAYS.indexOf(fromDay), from, to, DAYS.indexOf(toDay));
      expect(maintenanceWindow[1] - maintenanceWindow[0]).toBeGreaterThanOrEqual(30);
      const [from24 = '', to24 = ''] = backupWindow.split('-');
      for (let day = 0; day < 7; day++) {
        const daily = weekly(day, from24, to24);
        expect(daily[1] - daily[0], backupWindow).toBeGreaterThanOrEqual(30);
        expect(overlaps(daily, maintenanceWindow), `${backupWindow} vs ${maintenance}`).toBe(false);
      }
    }
  });

  // "Lifecycle" (/aws-backup/latest/devguide/API_Lifecycle.html): DeleteAfterDays "must be at least
  // 90 days after the number of days specified in MoveToColdStorageAfterDays".
  it.each(STAGES)(
    '%s: keeps a backup 90 days in cold storage at least, where it moves one there',
    (stage) => {
      const plans = resourcesOfType(stages[stage], 'AWS::Backup::BackupPlan');
      expect(plans.length).toBe(1);
      const rules = (
        plans[0]?.props.BackupPlan as {
          BackupPlanRule: { RuleName: string; Lifecycle?: Record<string, number> }[];
        }
      ).BackupPlanRule;
      for (const r of rules) {
        const { DeleteAfterDays, MoveToColdStorageAfterDays } = r.Lifecycle ?? {};
        expect(DeleteAfterDays, r.RuleName).toBeGreaterThanOrEqual(1);
        if (MoveToColdStorageAfterDays !== undefined) {
          expect(DeleteAfterDays, r.RuleName).toBeGreaterThanOrEqual(MoveToColdStorageAfterDays + 90);
        }
      }
    },
  );
});
