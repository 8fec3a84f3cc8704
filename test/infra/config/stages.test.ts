import { describe, expect, it } from 'vitest';
import { PASSWORD_POLICY } from '#auth/domain/password-policy';
import { parseStageConfig, STAGES, stageConfig } from '../../../lib/config/stages';
import { CUSTOM_DOMAIN as domain } from '../fixtures';
import { EDGE_FAN_IN } from '../../../lib/stacks/api-stack';

describe('stage configuration', () => {
  it.each(STAGES)('validates the %s configuration', (stage) => {
    expect(stageConfig(stage).stage).toBe(stage);
  });

  it('refuses an unknown stage by name', () => {
    expect(() => stageConfig('qa')).toThrow(/Unknown stage "qa"/);
  });

  it('scales the dev database to zero and keeps prod backups 35 days', () => {
    expect(stageConfig('dev').database.minCapacity).toBe(0);
    expect(stageConfig('prod').database.backupRetentionDays).toBe(35);
  });

  it('refuses a prod configuration without MFA, deletion protection or canaries', () => {
    const prod = stageConfig('prod');
    const weakened = {
      ...prod,
      auth: { ...prod.auth, mfa: 'OPTIONAL' },
      database: { ...prod.database, deletionProtection: false },
      canaryDeployments: false,
    };
    expect(() => parseStageConfig(weakened)).toThrow(
      /mfa must be REQUIRED[\s\S]*deletionProtection[\s\S]*canaryDeployments/,
    );
  });

  it("limits each address to 300 requests to the user pool per 5 minutes unless the stage says otherwise, within WAF's bounds", () => {
    for (const stage of STAGES) expect(stageConfig(stage).auth.wafRateLimitPer5Min, stage).toBe(300);
    const dev = stageConfig('dev');
    const withLimit = (wafRateLimitPer5Min: unknown) =>
      parseStageConfig({ ...dev, auth: { ...dev.auth, wafRateLimitPer5Min } });
    expect(withLimit(2000).auth.wafRateLimitPer5Min).toBe(2000);
    // A rate-based rule's limit: "Valid Range: Minimum value of 10. Maximum value of 2000000000"
    // (WAFV2 API Reference, RateBasedStatement, Limit:
    // docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html).
    expect(withLimit(10).auth.wafRateLimitPer5Min).toBe(10);
    expect(withLimit(2_000_000_000).auth.wafRateLimitPer5Min).toBe(2_000_000_000);
    for (const bad of [9, 2_000_000_001, 300.5, '300'])
      expect(() => withLimit(bad), String(bad)).toThrow(/auth\.wafRateLimitPer5Min/);
  });

  it('refuses an API rate limit whose API-ACL rule (EDGE_FAN_IN times it) WAF would refuse', () => {
    // The API's ACL limits each CloudFront edge address to EDGE_FAN_IN times the per-viewer
    // limits, and WAF takes 10 to 2,000,000,000 (API_RateBasedStatement.html): a larger setting
    // would pass here and fail only at deploy.
    const dev = stageConfig('dev');
    const largest = Math.floor(2_000_000_000 / EDGE_FAN_IN);
    for (const key of ['wafRateLimitPer5Min', 'wafMessageRateLimitPer5Min'] as const) {
      const withLimit = (value: unknown) => parseStageConfig({ ...dev, api: { ...dev.api, [key]: value } });
      expect(withLimit(10).api[key], key).toBe(10);
      expect(withLimit(largest).api[key], key).toBe(largest);
      for (const bad of [9, largest + 1, 2_000_000_000])
        expect(() => withLimit(bad), `${key} ${bad}`).toThrow(new RegExp(`api\\.${key}`));
    }
  });

  it('refuses a custom domain without its certificate', () => {
    const dev = stageConfig('dev');
    expect(() => parseStageConfig({ ...dev, web: { domainName: 'chat.example.com' } })).toThrow(
      /domainName and certificateArn/,
    );
  });

  it('reserves no Lambda concurrency unless a stage opts in, and then wants the account quota stated', () => {
    for (const stage of STAGES) expect(stageConfig(stage).api.reservedConcurrency, stage).toBeUndefined();
    const prod = stageConfig('prod');
    expect(() => parseStageConfig({ ...prod, api: { ...prod.api, reservedConcurrency: 200 } })).toThrow(
      /api\.lambdaConcurrencyQuota: is required with reservedConcurrency/,
    );
    expect(
      parseStageConfig({
        ...prod,
        api: { ...prod.api, reservedConcurrency: 200, lambdaConcurrencyQuota: 1000 },
      }).api.reservedConcurrency,
    ).toBe(200);
  });

  it('gives prod one NAT gateway per AZ, and no stage more NAT gateways than AZs', () => {
    // Amazon VPC User Guide, "NAT gateway basics": AZs that share a NAT gateway lose internet
    // access with its AZ; one per AZ, each AZ routed to its own, avoids that.
    const { network } = stageConfig('prod');
    expect(network.natGateways).toBe(network.maxAzs);
    const dev = stageConfig('dev');
    expect(() =>
      parseStageConfig({ ...dev, network: { ...dev.network, maxAzs: 2, natGateways: 3 } }),
    ).toThrow(/network\.natGateways: can be at most maxAzs/);
  });

  it('refuses a region whose buckets CloudFront delivers no standard logs to', () => {
    // The web stack's access log bucket is in the stage's region, and its distribution logs there
    // with standard logging (legacy). AWS Systems Manager Automation runbook reference,
    // "AWSConfigRemediation-EnableCloudFrontAccessLogs"
    // (/systems-manager-automation-runbooks/latest/userguide/automation-aws-enable-cloudfront-access-logs.html):
    // "Buckets in the af-south-1, ap-east-1, eu-south-1, and me-south-1 ... Region are not
    // supported"; the Dynamic Image Transformation for Amazon CloudFront guide, "Opt-in Regions"
    // (/solutions/latest/dynamic-image-transformation-for-amazon-cloudfront/opt-in-regions.md):
    // "CloudFront doesn't deliver access logs to buckets in the supported opt-in Regions".
    const dev = stageConfig('dev');
    for (const region of ['af-south-1', 'ap-east-1', 'eu-south-1', 'me-south-1']) {
      expect(() => parseStageConfig({ ...dev, region }), region).toThrow(
        /region: CloudFront delivers no access logs to buckets in af-south-1, ap-east-1, eu-south-1 or me-south-1/,
      );
    }
    for (const region of ['eu-west-1', 'eu-central-1', 'us-east-1', 'ap-southeast-2']) {
      expect(parseStageConfig({ ...dev, region }).region).toBe(region);
    }
  });

  it('names a bad field in the error', () => {
    expect(() => parseStageConfig({ ...stageConfig('dev'), alarmEmail: 'nobody' })).toThrow(/alarmEmail/);
  });
});

describe('password policy', () => {
  it('holds the values Cognito and the local server enforce', () => {
    expect(PASSWORD_POLICY).toEqual({
      minLength: 12,
      requireUppercase: true,
      requireLowercase: true,
      requireDigits: true,
      requireSymbols: true,
      tempPasswordValidityDays: 3,
    });
    expect(Object.isFrozen(PASSWORD_POLICY)).toBe(true);
  });
});

describe('a stage with a custom domain', () => {
  it('refuses a hosted zone that does not hold the domain', () => {
    expect(() =>
      parseStageConfig({
        ...stageConfig('dev'),
        web: { ...domain, hostedZone: { id: 'Z0123', name: 'other.org' } },
      }),
    ).toThrow(/web.hostedZone.name: the hosted zone must hold web.domainName/);
  });
});

describe("Cognito's e-mail through Amazon SES (auth.email)", () => {
  const withEmail = (email: Record<string, unknown>) => {
    const dev = stageConfig('dev');
    return parseStageConfig({ ...dev, auth: { ...dev.auth, email } });
  };

  it('is off unless a stage sets it (Cognito sends its own, 50 a day)', () => {
    for (const stage of STAGES) expect(stageConfig(stage).auth.email, stage).toBeUndefined();
  });

  it("accepts the stage's region and the three Regions Cognito also sends through, and nothing else", () => {
    // dev is in eu-west-1.
    for (const sesRegion of [undefined, 'eu-west-1', 'us-east-1', 'us-west-2'])
      expect(withEmail({ from: 'no-reply@example.org', sesRegion }).auth.email?.from).toBe(
        'no-reply@example.org',
      );
    for (const sesRegion of ['eu-central-1', 'ap-southeast-2', 'us-east-2'])
      expect(() => withEmail({ from: 'no-reply@example.org', sesRegion }), sesRegion).toThrow(
        /auth\.email\.sesRegion: Cognito sends through SES in the stage's region or in us-east-1, us-west-2, eu-west-1 only/,
      );
  });

  it('wants from in verifiedDomain, exactly as written', () => {
    expect(
      withEmail({ from: 'parley@mail.example.org', verifiedDomain: 'mail.example.org' }).auth.email,
    ).toMatchObject({
      verifiedDomain: 'mail.example.org',
    });
    for (const from of ['parley@example.org', 'parley@other-mail.example.org', 'parley@Mail.example.org'])
      expect(() => withEmail({ from, verifiedDomain: 'mail.example.org' }), from).toThrow(
        /auth\.email\.from: must be an address of verifiedDomain/,
      );
    expect(() => withEmail({ from: 'a@example.org', verifiedDomain: 'Example.ORG' })).toThrow(
      /auth\.email\.verifiedDomain/,
    );
  });

  it.each([
    [{ from: 'nobody' }, 'auth.email.from'],
    // The SES identity ARN allows [\w+=/,.@-] only.
    [{ from: "o'brien@example.org" }, 'auth.email.from'],
    [{ from: 'a!b@example.org' }, 'auth.email.from'],
    [{ from: 'a@example.org', fromName: 'Parley\r\nBcc: x@evil.example' }, 'auth.email.fromName'],
    [{ from: 'a@example.org', fromName: 'Parley <x@evil.example>' }, 'auth.email.fromName'],
    [{ from: 'a@example.org', fromName: 'P\u0000' }, 'auth.email.fromName'],
    [{ from: 'a@example.org', fromName: 'x'.repeat(65) }, 'auth.email.fromName'],
    [{ from: 'a@example.org', replyTo: 'not an address' }, 'auth.email.replyTo'],
    [{ from: 'a@example.org', configurationSet: 'has space' }, 'auth.email.configurationSet'],
    [{ from: 'a@example.org', configurationSet: 'x'.repeat(65) }, 'auth.email.configurationSet'],
    [{ from: 'a@example.org', sesRegion: 'EU-WEST-1' }, 'auth.email.sesRegion'],
  ])('refuses %j naming %s', (email, path) => {
    expect(() => withEmail(email)).toThrow(path);
  });

  it('accepts a sender name with spaces and punctuation, and a configuration set', () => {
    expect(
      withEmail({
        from: 'no-reply+parley@example.org',
        fromName: "Parley (Acme's assistant)",
        replyTo: 'it-support@example.org',
        configurationSet: 'parley_prod-1',
      }).auth.email,
    ).toEqual({
      from: 'no-reply+parley@example.org',
      fromName: "Parley (Acme's assistant)",
      replyTo: 'it-support@example.org',
      configurationSet: 'parley_prod-1',
    });
  });
});

describe('openaiModels', () => {
  const withModels = (openaiModels: unknown) => parseStageConfig({ ...stageConfig('dev'), openaiModels });

  it('offers no choice by default, and accepts the names OpenAI and compatible servers use', () => {
    for (const stage of STAGES) expect(stageConfig(stage).openaiModels, stage).toEqual([]);
    const names = [
      'gpt-4o',
      'o3-mini',
      'gpt-4o-2024-08-06',
      'ft:gpt-4o-mini:acme::abc123',
      'meta/llama-3.1_8b',
    ];
    expect(withModels(names).openaiModels).toEqual(names);
  });

  it.each([
    [['gpt-4o,o3-mini'], 'a comma would split the list (OPENAI_MODELS is comma-separated)'],
    [['gpt 4o'], 'a space'],
    [[''], 'an empty name'],
    [['-gpt'], 'a name starting with punctuation'],
    [['x'.repeat(65)], 'a name over 64 characters'],
    [['gpt-4o\u0000'], 'a NUL'],
    [Array.from({ length: 9 }, (_, i) => `model-${i}`), 'more than 8 models'],
  ])('refuses %j: %s', (models) => {
    expect(() => withModels(models)).toThrow(/openaiModels/);
  });
});
