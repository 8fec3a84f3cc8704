import { handlerGroups } from '#api/index';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../functions/shared/config';
import { resolvedEnvironment, resourcesOfType, type SynthesizedStage, synthesizeStage } from './support';

let dev: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
});

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
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
  it('encrypts Aurora with the customer-managed key', () => {
    dev.templates.data.hasResourceProperties('AWS::RDS::DBCluster', {
      StorageEncrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
    });
  });

  it('encrypts the Valkey cache, both secrets and the backup vault with the data key', () => {
    const dataKey = { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] };
    dev.templates.data.hasResourceProperties('AWS::ElastiCache::ServerlessCache', { KmsKeyId: dataKey });
    dev.templates.data.allResourcesProperties('AWS::SecretsManager::Secret', { KmsKeyId: dataKey });
    dev.templates.data.hasResourceProperties('AWS::Backup::BackupVault', { EncryptionKeyArn: dataKey });
  });

  it('encrypts every log group with KMS and gives it a retention', () => {
    const groups = resourcesOfType(dev, 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThan(10);
    for (const g of groups) {
      expect(g.props.KmsKeyId, `${g.stack}/${g.id}`).toBeDefined();
      expect(g.props.RetentionInDays, `${g.stack}/${g.id}`).toBeGreaterThan(0);
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
  it('requires TLS (and IAM auth) on the cache and the database', () => {
    dev.templates.data.hasResourceProperties('AWS::ElastiCache::User', {
      AuthenticationMode: { Type: 'iam' },
    });
    dev.templates.data.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
      Parameters: Match.objectLike({ 'rds.force_ssl': '1' }),
    });
    dev.templates.data.hasResourceProperties('AWS::RDS::DBCluster', {
      EnableIAMDatabaseAuthentication: true,
      EnableHttpEndpoint: true,
      Port: Match.not(5432),
    });
  });

  it('denies non-TLS access to every bucket', () => {
    for (const p of resourcesOfType(dev, 'AWS::S3::BucketPolicy')) {
      expect(JSON.stringify(p.props.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('redirects viewers to HTTPS, speaks HTTP/2 and 3, and reaches the API over TLS 1.2', () => {
    dev.templates.web.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        HttpVersion: 'http2and3',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https', Compress: true }),
        Origins: Match.arrayWith([
          Match.objectLike({
            CustomOriginConfig: Match.objectLike({
              OriginProtocolPolicy: 'https-only',
              OriginSSLProtocols: ['TLSv1.2'],
            }),
          }),
        ]),
      }),
    });
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

  it('serves the site through origin access control only', () => {
    dev.templates.web.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    dev.templates.web.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ Logging: Match.objectLike({ Bucket: Match.anyValue() }) }),
    });
  });

  it('sends a strict CSP, HSTS with preload, no framing and no referrer', () => {
    const policy = dev.templates.web.findResources('AWS::CloudFront::ResponseHeadersPolicy');
    const config = Object.values(policy).find(
      (p) => !String(p.Properties.ResponseHeadersPolicyConfig.Name).includes('api'),
    )?.Properties.ResponseHeadersPolicyConfig;
    const headers = config.SecurityHeadersConfig;
    const csp: string = headers.ContentSecurityPolicy.ContentSecurityPolicy;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(headers.StrictTransportSecurity).toMatchObject({
      AccessControlMaxAgeSec: 63_072_000,
      IncludeSubdomains: true,
      Preload: true,
    });
    expect(headers.FrameOptions.FrameOption).toBe('DENY');
    expect(headers.ReferrerPolicy.ReferrerPolicy).toBe('no-referrer');
    expect(headers.ContentTypeOptions.Override).toBe(true);
  });

  it('keeps the API’s own CSP on /api/* and adds the transport headers', () => {
    const policies = Object.values(dev.templates.web.findResources('AWS::CloudFront::ResponseHeadersPolicy'));
    const api = policies.find((p) => String(p.Properties.ResponseHeadersPolicyConfig.Name).includes('api'));
    const headers = api?.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(headers.ContentSecurityPolicy).toEqual({
      ContentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'",
      Override: false,
    });
    expect(headers.StrictTransportSecurity).toMatchObject({ Preload: true, Override: true });
    const distribution = Object.values(dev.templates.web.findResources('AWS::CloudFront::Distribution'))[0];
    const apiBehaviour = distribution?.Properties.DistributionConfig.CacheBehaviors.find(
      (b: { PathPattern: string }) => b.PathPattern === '/api/*',
    );
    const apiPolicyId = Object.entries(
      dev.templates.web.findResources('AWS::CloudFront::ResponseHeadersPolicy'),
    ).find(([, p]) => String(p.Properties.ResponseHeadersPolicyConfig.Name).includes('api'))?.[0];
    expect(apiBehaviour.ResponseHeadersPolicyId).toEqual({ Ref: apiPolicyId });
  });

  it('forwards /api/* uncached with every viewer header but Host, to the API stage', () => {
    dev.templates.web.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        CacheBehaviors: [
          Match.objectLike({
            PathPattern: '/api/*',
            // Managed policies: CachingDisabled and AllViewerExceptHostHeader.
            CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
            OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
            AllowedMethods: Match.arrayWith(['PATCH', 'POST', 'DELETE']),
          }),
        ],
        Origins: Match.arrayWith([Match.objectLike({ OriginPath: '/dev' })]),
      }),
    });
  });

  it('deploys the web build with a generated config.json', () => {
    const deployments = dev.templates.web.findResources('Custom::CDKBucketDeployment');
    expect(Object.keys(deployments)).toHaveLength(1);
    const props = Object.values(deployments)[0]?.Properties;
    expect(props.SourceMarkers ?? props.SourceMarkersConfig ?? props.SourceObjectKeys).toBeDefined();
    expect(props.SourceObjectKeys).toHaveLength(2);
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

  it('grants Resource "*" only for actions that have no resource-level permissions', () => {
    for (const { where, statement } of identityStatements(dev)) {
      if (!asArray(statement.Resource).includes('*')) continue;
      for (const action of asArray(statement.Action)) {
        expect(RESOURCE_STAR_ALLOWED.has(action), `${where}: ${action} on *`).toBe(true);
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

  it('lets the GitHub deploy role only assume the CDK bootstrap roles', () => {
    dev.templates.delivery.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['sts:AssumeRole', 'sts:TagSession'],
            Resource: Match.arrayWith([
              Match.objectLike({
                'Fn::Join': [
                  '',
                  Match.arrayWith([Match.stringLikeRegexp(':role/cdk-hnb659fds-deploy-role-')]),
                ],
              }),
            ]),
          }),
        ],
      },
    });
    dev.templates.delivery.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [
          Match.objectLike({
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: {
              StringEquals: {
                'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
                'token.actions.githubusercontent.com:sub': 'repo:parley-org/parley:environment:dev',
              },
            },
          }),
        ],
      }),
    });
  });
});

describe('functions', () => {
  const ours = () =>
    resourcesOfType(dev, 'AWS::Lambda::Function').filter(
      (f) => String(f.props.Runtime).startsWith('nodejs') && f.props.Environment,
    );

  it('runs every function on arm64, Node.js 24, with active tracing and JSON logs', () => {
    // The API groups, the migrator and the four Cognito triggers.
    expect(ours().length).toBe(handlerGroups.length + 5);
    for (const f of ours()) {
      expect(f.props, f.id).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        TracingConfig: { Mode: 'Active' },
      });
      expect((f.props.LoggingConfig as { LogFormat: string }).LogFormat).toBe('JSON');
      expect((f.props.LoggingConfig as { LogGroup?: unknown }).LogGroup, f.id).toBeDefined();
    }
  });

  it('gives every function an errors, a throttles and a p99 duration alarm', () => {
    const alarms = resourcesOfType(dev, 'AWS::CloudWatch::Alarm');
    for (const f of ours()) {
      const watched = alarms.filter((a) => {
        const dims = JSON.stringify(a.props.Dimensions ?? '');
        return dims.includes(f.id) && a.stack === f.stack;
      });
      const metrics = watched.map((a) => a.props.MetricName ?? a.props.ExtendedStatistic);
      expect(metrics, f.id).toEqual(expect.arrayContaining(['Errors', 'Throttles', 'Duration']));
    }
  });

  it('sets the environment every function parses with the shared config schema', () => {
    for (const f of ours()) {
      const variables = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
      const env = resolvedEnvironment(variables);
      const parsed = configSchema.safeParse(env);
      expect(parsed.error?.issues ?? [], f.id).toEqual([]);
      expect(env, f.id).toMatchObject({
        STAGE: 'dev',
        DB_DRIVER: 'data-api',
        DB_NAME: 'parley',
        POWERTOOLS_METRICS_NAMESPACE: 'Parley',
        LOG_LEVEL: 'DEBUG',
        WEB_ORIGIN: expect.stringMatching(/^https:\/\//) as unknown as string,
      });
      for (const key of [
        'POWERTOOLS_SERVICE_NAME',
        'OPENAI_MODEL',
        'OPENAI_SECRET_ARN',
        'COGNITO_CLIENT_IDS',
      ]) {
        expect(env[key], `${f.id} ${key}`).toBeTruthy();
      }
    }
  });

  it('gives the API functions the cache endpoint and runs them in the VPC', () => {
    const api = ours().filter((f) => f.stack === 'api' && f.id.startsWith('Fn'));
    expect(api).toHaveLength(handlerGroups.length);
    for (const f of api) {
      expect(Object.keys((f.props.Environment as { Variables: object }).Variables)).toEqual(
        expect.arrayContaining(['CACHE_ENDPOINT', 'CACHE_USER', 'CACHE_NAME']),
      );
      expect(f.props.VpcConfig, f.id).toBeDefined();
    }
  });
});

describe('auth', () => {
  it('enforces the password policy, TOTP MFA, e-mail recovery and no self sign-up', () => {
    dev.templates.auth.hasResourceProperties('AWS::Cognito::UserPool', {
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: 12,
          RequireUppercase: true,
          RequireLowercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
          TemporaryPasswordValidityDays: 3,
        }),
      },
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      AdminCreateUserConfig: Match.objectLike({ AllowAdminCreateUserOnly: true }),
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
      DeletionProtection: 'ACTIVE',
      UserPoolTier: 'PLUS',
    });
  });

  it('wires the four triggers', () => {
    const pool = Object.values(dev.templates.auth.findResources('AWS::Cognito::UserPool'))[0];
    const config = JSON.stringify(pool?.Properties.LambdaConfig);
    for (const name of [
      'pre-authentication',
      'post-authentication',
      'post-confirmation',
      'pre-token-generation',
    ]) {
      expect(config).toContain(`parley-dev-${name}`);
    }
    expect(pool?.Properties.LambdaConfig.PreTokenGenerationConfig.LambdaVersion).toBe('V2_0');
  });

  it('has the three role groups, the SPA and machine clients and the parley scopes', () => {
    for (const group of ['admins', 'members', 'auditors']) {
      dev.templates.auth.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: group });
    }
    dev.templates.auth.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      // With rotation on, refresh goes through GetTokensFromRefreshToken, not ALLOW_REFRESH_TOKEN_AUTH.
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH'],
      EnableTokenRevocation: true,
      RefreshTokenRotation: Match.objectLike({ Feature: 'ENABLED' }),
    });
    dev.templates.auth.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: true,
      AllowedOAuthFlows: ['client_credentials'],
    });
    const machine = Object.values(dev.templates.auth.findResources('AWS::Cognito::UserPoolClient')).find(
      (c) => c.Properties.ClientName === 'parley-machine',
    );
    expect(JSON.stringify(machine?.Properties.AllowedOAuthScopes)).toMatch(/chat\.read.*chat\.write/);
    dev.templates.auth.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'parley',
      Scopes: [Match.objectLike({ ScopeName: 'chat.read' }), Match.objectLike({ ScopeName: 'chat.write' })],
    });
  });
});

describe('WAF', () => {
  const managed = [
    'AWSManagedRulesCommonRuleSet',
    'AWSManagedRulesKnownBadInputsRuleSet',
    'AWSManagedRulesSQLiRuleSet',
    'AWSManagedRulesAmazonIpReputationList',
    'AWSManagedRulesAnonymousIpList',
  ];
  const ruleNames = (t: 'auth' | 'api' | 'edgeWaf') => {
    const acl = Object.values(dev.templates[t].findResources('AWS::WAFv2::WebACL'))[0];
    return (acl?.Properties.Rules as { Name: string }[]).map((r) => r.Name);
  };

  it('logs what every web ACL blocks or counts, encrypted, with the Authorization header redacted', () => {
    const acls = resourcesOfType(dev, 'AWS::WAFv2::WebACL');
    const configs = resourcesOfType(dev, 'AWS::WAFv2::LoggingConfiguration');
    expect(configs).toHaveLength(acls.length);
    for (const config of configs) {
      expect(config.props.RedactedFields).toEqual([{ SingleHeader: { Name: 'authorization' } }]);
      expect(config.props.LoggingFilter).toMatchObject({
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Conditions: [{ ActionCondition: { Action: 'BLOCK' } }, { ActionCondition: { Action: 'COUNT' } }],
          },
        ],
      });
      // Delivered to a log group WAF accepts: named aws-waf-logs-*, ARN without the ':*' suffix.
      const destination = JSON.stringify(config.props.LogDestinationConfigs);
      expect(destination, config.id).toContain('log-group:aws-waf-logs-parley-dev-');
      expect(destination, config.id).not.toContain(':*');
    }
    const groups = resourcesOfType(dev, 'AWS::Logs::LogGroup').filter((g) =>
      String(g.props.LogGroupName).startsWith('aws-waf-logs-'),
    );
    expect(groups).toHaveLength(acls.length);
    for (const group of groups) {
      expect(group.props.KmsKeyId, group.id).toBeDefined();
      expect(group.props.RetentionInDays, group.id).toBe(30);
    }
  });

  it('protects API Gateway and CloudFront with the managed groups and rate limits', () => {
    for (const t of ['api', 'edgeWaf'] as const) {
      expect(ruleNames(t)).toEqual(
        expect.arrayContaining([
          ...managed,
          'RatePerIp',
          'RatePerIpMessages',
          'BodyOver8KbOutsideMessages',
          'MessageBodyTooLarge',
        ]),
      );
    }
    dev.templates.edgeWaf.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'CLOUDFRONT' });
    expect(dev.stacks.edgeWaf.region).toBe('us-east-1');
  });

  it("counts, not blocks, the Common set's 8 KB body rule and replaces it", () => {
    const acl = Object.values(dev.templates.api.findResources('AWS::WAFv2::WebACL'))[0];
    const common = (
      acl?.Properties.Rules as { Name: string; Statement: { ManagedRuleGroupStatement: unknown } }[]
    ).find((r) => r.Name === 'AWSManagedRulesCommonRuleSet');
    expect(common?.Statement.ManagedRuleGroupStatement).toMatchObject({
      RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }],
    });
  });

  it('associates the regional ACLs with the API stage and the user pool, and the edge ACL with CloudFront', () => {
    dev.templates.api.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: Match.objectLike({
        'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('/restapis/')])]),
      }),
    });
    dev.templates.auth.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^UserPool'), 'Arn'] },
    });
    expect(ruleNames('auth')).toEqual(
      expect.arrayContaining(['RatePerIp', 'AWSManagedRulesAmazonIpReputationList']),
    );
    dev.templates.web.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ WebACLId: Match.anyValue() }),
    });
  });
});

describe('data', () => {
  it('scales Aurora Serverless v2 (16.x) to zero in dev', () => {
    dev.templates.data.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      EngineVersion: Match.stringLikeRegexp('^16\\.'),
      ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 4 },
    });
  });

  it('rotates the database secret and keeps the OpenAI key out of the template', () => {
    dev.templates.data.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
    const secrets = resourcesOfType(dev, 'AWS::SecretsManager::Secret');
    for (const s of secrets) expect(s.props.SecretString, s.id).toBeUndefined();
  });

  it('backs Aurora up with an AWS Backup plan into the encrypted vault', () => {
    dev.templates.data.resourceCountIs('AWS::Backup::BackupPlan', 1);
    dev.templates.data.resourceCountIs('AWS::Backup::BackupSelection', 1);
  });

  it('keeps database and cache in isolated subnets', () => {
    dev.templates.data.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      Engine: 'valkey',
      SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('dataSubnet') }]),
    });
    dev.templates.data.hasResourceProperties('AWS::RDS::DBSubnetGroup', {
      SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('dataSubnet') }]),
    });
  });
});

describe('monitoring', () => {
  it('alarms on the custom metrics, API errors and latency, Aurora, Valkey and WAF blocks', () => {
    const names = resourcesOfType(dev, 'AWS::CloudWatch::Alarm').map((a) => a.props.AlarmName);
    for (const n of [
      'ModelErrors',
      'CircuitOpen',
      'QuotaRejections',
      'Lockouts',
      'IdentityDrift',
      'Api5xxRate',
      'Api4xxSpike',
      'ApiLatencyP99',
      'ApiWafBlockedSpike',
      'DatabaseCapacityHigh',
      'DatabaseConnectionsHigh',
      'CacheThrottled',
    ]) {
      expect(names).toContain(`parley-dev-${n}`);
    }
  });

  it('pages through one composite "users affected" alarm and has a dashboard', () => {
    dev.templates.monitoring.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
      AlarmName: 'parley-dev-users-affected',
      AlarmActions: Match.anyValue(),
    });
    const [composite] = Object.values(
      dev.templates.monitoring.findResources('AWS::CloudWatch::CompositeAlarm'),
    );
    // Users are affected when sending (chat) or reading (conversations) fails.
    expect(JSON.stringify(composite?.Properties.AlarmRule)).toMatch(/Fnchat/);
    expect(JSON.stringify(composite?.Properties.AlarmRule)).toMatch(/Fnconversations/);
    dev.templates.monitoring.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    dev.templates.foundation.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email' });
  });

  it('sends every alarm to the alarm topic', () => {
    for (const a of resourcesOfType(dev, 'AWS::CloudWatch::Alarm')) {
      expect(a.props.AlarmActions, String(a.props.AlarmName)).toHaveLength(1);
    }
  });
});
