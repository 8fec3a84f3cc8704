import { Match, type Template } from 'aws-cdk-lib/assertions';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stage } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageConfig, STAGES } from '../../../lib/config/stages';
import { ORIGIN_HEADER } from '../../../lib/stacks/api-stack';
import { CLOUDFRONT_LOG_PREFIX, cloudFrontLogDays } from '../../../lib/stacks/web-stack';
import { CUSTOM_DOMAIN as domain } from '../fixtures';
import { configSchema } from '#shared/config';
import { ourFunctions, resolvedEnvironment, type SynthesizedStage, synthesizeStage } from '../support';

let dev: SynthesizedStage;
/** The Web stack of dev with a custom domain. */
let web: Template;
/** dev keeping its logs a year (as prod does) and purging deleted conversations after 14 days. */
let yearOfLogs: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
  web = synthesizeStage('dev', { web: domain }).templates.web;
  yearOfLogs = synthesizeStage('dev', {
    change: (c) => ({
      ...c,
      logRetentionDays: 365,
      retention: { ...c.retention, deletedConversationsDays: 14 },
    }),
  });
});

describe('transport security', () => {
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
  it('serves the site through origin access control only', () => {
    dev.templates.web.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    dev.templates.web.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ Logging: Match.objectLike({ Bucket: Match.anyValue() }) }),
    });
  });

  it('expires the CloudFront logs, which keep query strings, within the deleted conversations purge window', () => {
    // Prepare
    const template = yearOfLogs.templates.web;
    const [distribution] = Object.values(template.findResources('AWS::CloudFront::Distribution'));
    const logBucketId: string = distribution?.Properties.DistributionConfig.Logging.Bucket['Fn::GetAtt'][0];
    const logBucket = template.findResources('AWS::S3::Bucket')[logBucketId];
    const rules = (logBucket?.Properties.LifecycleConfiguration?.Rules ?? []) as {
      Prefix?: string;
      ExpirationInDays?: number;
    }[];

    // Act: the shortest expiration covering CloudFront's log files (S3 honours the shorter of two
    // overlapping expirations); rules without a prefix cover the whole bucket.
    const covering = rules.filter(
      (r) => r.ExpirationInDays !== undefined && CLOUDFRONT_LOG_PREFIX.startsWith(r.Prefix ?? ''),
    );
    const days = Math.min(...covering.map((r) => r.ExpirationInDays ?? Infinity));

    // Assess: 14 days, not the year the other logs are kept.
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ Logging: Match.objectLike({ Prefix: CLOUDFRONT_LOG_PREFIX }) }),
    });
    expect(days).toBe(14);
    for (const stage of STAGES) {
      const c = stageConfig(stage);
      expect(cloudFrontLogDays(c), stage).toBeLessThanOrEqual(
        Math.max(1, c.retention.deletedConversationsDays),
      );
      expect(cloudFrontLogDays(c), stage).toBeLessThanOrEqual(c.logRetentionDays);
    }
    // A purge window of 0 days still gives S3 a whole day, its least.
    expect(cloudFrontLogDays({ logRetentionDays: 365, retention: { deletedConversationsDays: 0 } })).toBe(1);
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

  it('sends the origin secret to the API from Secrets Manager, never from the template', () => {
    const distribution = Object.values(dev.templates.web.findResources('AWS::CloudFront::Distribution'))[0];
    const origins = distribution?.Properties.DistributionConfig.Origins as {
      CustomOriginConfig?: unknown;
      OriginCustomHeaders?: { HeaderName: string; HeaderValue: unknown }[];
    }[];
    const api = origins.find((o) => o.CustomOriginConfig);
    expect(api?.OriginCustomHeaders).toHaveLength(1);
    const header = api?.OriginCustomHeaders?.[0];
    expect(header?.HeaderName).toBe(ORIGIN_HEADER);
    // A header CloudFront may add (it overwrites one a viewer sends): not on its deny-list.
    expect(ORIGIN_HEADER).not.toMatch(/^(x-amz-|x-edge-|x-real-ip$|via$|host$|cookie$|cache-control$)/i);
    const value = JSON.stringify(header?.HeaderValue);
    expect(value).toContain('{{resolve:secretsmanager:');
    // The Api stack's current secret (its ARN comes across as an import), never the previous one.
    expect(value).toMatch(/Fn::ImportValue.*OriginSecret/);
    expect(value).not.toMatch(/PreviousOriginSecret/);
    // The site origin (S3) gets no secret.
    expect(origins.filter((o) => o.OriginCustomHeaders?.length)).toHaveLength(1);
  });

  it('names the origin secret rotation in its comment, so a rotation updates the distribution', () => {
    dev.templates.web.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ Comment: 'Parley dev, origin secret rotation 0' }),
    });
    // CloudFront's limit on a distribution comment.
    const distribution = Object.values(dev.templates.web.findResources('AWS::CloudFront::Distribution'))[0];
    expect(String(distribution?.Properties.DistributionConfig.Comment).length).toBeLessThanOrEqual(128);
  });

  it('lets every method a route declares through /api/*', async () => {
    const { routes } = await import('#api/index');
    const distribution = Object.values(dev.templates.web.findResources('AWS::CloudFront::Distribution'))[0];
    const behaviors = (
      distribution?.Properties as {
        DistributionConfig: { CacheBehaviors: { PathPattern: string; AllowedMethods: string[] }[] };
      }
    ).DistributionConfig.CacheBehaviors;
    const api = behaviors.find((b) => b.PathPattern === '/api/*');
    for (const method of new Set(routes.map((r) => r.method))) expect(api?.AllowedMethods).toContain(method);
  });

  it('outputs the distribution domain name and id the deployment guide reads', () => {
    const outputs = dev.templates.web.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.DistributionDomainName?.Value).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^Distribution/) as unknown, 'DomainName'],
    });
    expect(outputs.DistributionId?.Value).toEqual({ Ref: expect.stringMatching(/^Distribution/) as unknown });
  });

  it('deploys the web build with a generated config.json', () => {
    // The site's (the build's hashed assets/, when it has any, have a deployment of their own).
    const deployments = Object.values(dev.templates.web.findResources('Custom::CDKBucketDeployment')).filter(
      (d) =>
        (d as { Properties: { DestinationBucketKeyPrefix?: string } }).Properties
          .DestinationBucketKeyPrefix === undefined,
    );
    expect(deployments).toHaveLength(1);
    const props = deployments[0]?.Properties;
    expect(props.SourceMarkers ?? props.SourceMarkersConfig ?? props.SourceObjectKeys).toBeDefined();
    expect(props.SourceObjectKeys).toHaveLength(2);
  });

  it("writes the stage's idle sign-out into config.json (30 minutes unless set)", () => {
    const configOf = (stage: SynthesizedStage) => {
      const outdir = Stage.of(stage.stacks.web)?.outdir ?? '';
      const files = readdirSync(outdir)
        .filter((name) => name.startsWith('asset.'))
        .map((name) => join(outdir, name, 'config.json'))
        .filter((file) => existsSync(file));
      expect(files.length).toBeGreaterThanOrEqual(1);
      return files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>);
    };
    expect(configOf(dev).map((c) => c.idleSignOutMinutes)).toContain(30);
    const strict = synthesizeStage('dev', {
      change: (c) => ({ ...c, web: { ...c.web, idleSignOutMinutes: 15 } }),
    });
    const written = configOf(strict);
    expect(written.map((c) => c.idleSignOutMinutes)).toContain(15);
    expect(written.find((c) => c.idleSignOutMinutes === 15)).toMatchObject({ apiUrl: '/api' });
  });
});

describe('a stage with a custom domain', () => {
  it('serves the domain with its certificate and TLS 1.2 (2021) at the minimum', () => {
    web.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['chat.example.com'],
        ViewerCertificate: Match.objectLike({
          AcmCertificateArn: domain.certificateArn,
          MinimumProtocolVersion: 'TLSv1.2_2021',
          SslSupportMethod: 'sni-only',
        }),
      }),
    });
  });

  it('points A and AAAA alias records of the hosted zone at the distribution', () => {
    for (const type of ['A', 'AAAA']) {
      web.hasResourceProperties('AWS::Route53::RecordSet', {
        Type: type,
        Name: 'chat.example.com.',
        HostedZoneId: domain.hostedZone.id,
        AliasTarget: Match.objectLike({ DNSName: Match.objectLike({ 'Fn::GetAtt': Match.anyValue() }) }),
      });
    }
  });
});

describe('the API origin and replies answered in one piece', () => {
  it('waits for the API at most 60 s, and a reply not streamed ends well before that', () => {
    // CloudFront's origin response timeout goes above 60 s only by a quota increase, which a fresh
    // account has not had; a request without Accept: text/event-stream sends no byte until its
    // reply has ended, so the chat function ends such a reply by BUFFERED_REPLY_TIMEOUT_MS.
    const distribution = Object.values(dev.templates.web.findResources('AWS::CloudFront::Distribution'))[0];
    const origins = (
      distribution?.Properties as {
        DistributionConfig: {
          Origins: { OriginPath?: string; CustomOriginConfig?: { OriginReadTimeout?: number } }[];
        };
      }
    ).DistributionConfig.Origins;
    const api = origins.find((o) => o.OriginPath === '/dev');
    const readTimeoutSeconds = api?.CustomOriginConfig?.OriginReadTimeout ?? 30;
    expect(readTimeoutSeconds).toBeLessThanOrEqual(60);

    const chat = ourFunctions(dev).find(
      (f) =>
        (f.props.Environment as { Variables: Record<string, unknown> }).Variables.POWERTOOLS_SERVICE_NAME ===
        'chat',
    );
    const variables = (chat?.props.Environment as { Variables: Record<string, unknown> }).Variables;
    const config = configSchema.parse(resolvedEnvironment(variables));
    // Storing the failed reply and answering take well under 5 s.
    expect(config.BUFFERED_REPLY_TIMEOUT_MS + 5_000).toBeLessThanOrEqual(readTimeoutSeconds * 1000);
    // Streamed replies keep their longer limit: the stream's keep-alives reset CloudFront's wait.
    expect(config.OPENAI_TOTAL_TIMEOUT_MS).toBeGreaterThan(readTimeoutSeconds * 1000);
  });
});
