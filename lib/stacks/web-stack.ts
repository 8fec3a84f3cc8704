import * as fs from 'node:fs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53targets from 'aws-cdk-lib/aws-route53-targets';
import { API_HEADERS } from '#shared/http/headers';
import * as path from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Token } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { acknowledge } from '../config/nag-acknowledgements';
import type { StageConfig } from '../config/stages';
import { REPO_ROOT } from '../constructs/app-function';
import { ORIGIN_HEADER } from './api-stack';

export interface WebStackProps extends StackProps {
  readonly config: StageConfig;
  readonly api: apigw.RestApi;
  /** Its value goes into ORIGIN_HEADER on every request to the API (the API's ACL checks it). */
  readonly originSecret: secretsmanager.ISecret;
  /** Bumped when the origin secret is rotated, so this deploy re-reads it (stages.ts). */
  readonly originSecretRotation: number;
  readonly userPoolId: string;
  readonly spaClientId: string;
  /** Encrypts the deployment function's log group. */
  readonly logKey: kms.IKey;
  /** ARN of the CLOUDFRONT-scope web ACL (from the us-east-1 stack). */
  readonly webAclArn: string;
  /**
   * The built SPA. When it does not exist a placeholder page is deployed instead.
   * @default web/dist
   */
  readonly webDistDir?: string;
}

/** Where in the access-log bucket CloudFront writes its standard logs. */
export const CLOUDFRONT_LOG_PREFIX = 'cloudfront/';

/**
 * Days CloudFront's standard logs are kept. They hold each request's query string
 * (`cs-uri-query`: search words from `?q=`, an admin's user search), with the viewer's address and
 * user agent, so they go with the deleted conversations' purge window, never later than the
 * stage's log retention. S3 expires objects after a whole number of days, at least 1 ("The value
 * must be a non-zero positive integer", S3 API Reference, LifecycleExpiration).
 */
export function cloudFrontLogDays(config: Pick<StageConfig, 'logRetentionDays' | 'retention'>): number {
  return Math.max(1, Math.min(config.logRetentionDays, config.retention.deletedConversationsDays));
}

/** The web app's Content-Security-Policy: no inline or eval'd script, no framing, API same-origin. */
export function contentSecurityPolicy(region: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    // The SPA signs in against the Cognito API directly.
    `connect-src 'self' https://cognito-idp.${region}.amazonaws.com`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    'upgrade-insecure-requests',
  ].join('; ');
}

/**
 * The web front door: a private S3 bucket behind CloudFront (OAC), the `/api/*` behaviour to the
 * REST API stage, security headers, access logs, WAF, and the SPA build with its config.json.
 */
export class WebStack extends Stack {
  readonly distribution: cloudfront.Distribution;
  readonly bucket: s3.Bucket;
  /** True when web/dist was missing and the placeholder page was packaged instead. */
  readonly usedPlaceholder: boolean;

  constructor(scope: Construct, id: string, props: WebStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const autoDeleteObjects = !config.retainData;

    const logBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // CloudFront standard logs are delivered with ACLs.
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      // Two rules over the CloudFront prefix: where expirations overlap, S3 honours the shorter
      // ("if two expiration policies overlap, the shorter expiration policy is honored", S3 User
      // Guide, "How Amazon S3 handles conflicts in lifecycle configurations").
      lifecycleRules: [
        { expiration: Duration.days(config.logRetentionDays) },
        {
          id: 'CloudFrontLogs',
          prefix: CLOUDFRONT_LOG_PREFIX,
          expiration: Duration.days(cloudFrontLogDays(config)),
        },
      ],
      removalPolicy,
      autoDeleteObjects,
    });
    acknowledge(logBucket, 'accessLogBucketLogging');

    this.bucket = new s3.Bucket(this, 'Site', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: logBucket,
      serverAccessLogsPrefix: 's3/',
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy,
      autoDeleteObjects,
    });

    // Both the web app and the API: no sniffing, no framing, no referrer, HSTS with preload.
    const transportHeaders = {
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
      referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      strictTransportSecurity: {
        accessControlMaxAge: Duration.days(730),
        includeSubdomains: true,
        preload: true,
        override: true,
      },
    } satisfies cloudfront.ResponseSecurityHeadersBehavior;

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      responseHeadersPolicyName: `parley-${config.stage}-security-headers`,
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: contentSecurityPolicy(this.region), override: true },
        ...transportHeaders,
      },
      customHeadersBehavior: {
        customHeaders: [
          {
            header: 'Permissions-Policy',
            value: 'camera=(), microphone=(), geolocation=(), payment=()',
            override: true,
          },
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
        ],
      },
    });

    // The API sets its own headers (CSP `default-src 'none'` for JSON); CloudFront adds them where
    // an API response lacks them (override off), so the web app's CSP never replaces the API's.
    const apiHeaders = new cloudfront.ResponseHeadersPolicy(this, 'ApiSecurityHeaders', {
      responseHeadersPolicyName: `parley-${config.stage}-api-security-headers`,
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: API_HEADERS['Content-Security-Policy'] ?? '',
          override: false,
        },
        ...transportHeaders,
      },
    });

    // SPA routing: a path without a file extension is a client-side route, served index.html.
    // (Custom error responses would also rewrite the API's 403/404s, so they are not used.)
    const spaRouting = new cloudfront.Function(this, 'SpaRouting', {
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      comment: 'Serve index.html for client-side routes',
      code: cloudfront.FunctionCode.fromInline(
        "function handler(event){var r=event.request;if(!/\\.[a-zA-Z0-9]+$/.test(r.uri)){r.uri='/index.html';}return r;}",
      ),
    });

    const apiOrigin = new origins.HttpOrigin(
      `${props.api.restApiId}.execute-api.${this.region}.amazonaws.com`,
      {
        // CloudFront forwards /api/... unchanged; the stage name is the origin path.
        originPath: `/${config.stage}`, // the API stack names its stage after the Parley stage
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
        readTimeout: Duration.seconds(60),
        // Resolved by CloudFormation at deploy time ({{resolve:secretsmanager:…}}); it replaces a
        // header of that name sent by a viewer.
        customHeaders: { [ORIGIN_HEADER]: props.originSecret.secretValue.unsafeUnwrap() },
      },
    );

    const custom = config.web.domainName && config.web.certificateArn;
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      // The rotation number changes the resource, which makes CloudFormation read the secret again.
      comment: `Parley ${config.stage}, origin secret rotation ${props.originSecretRotation}`,
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // Only applies with a custom certificate (the default one's policy is fixed by CloudFront).
      minimumProtocolVersion: custom ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableIpv6: true,
      webAclId: props.webAclArn,
      geoRestriction: cloudfront.GeoRestriction.denylist(...config.geoDenylist),
      enableLogging: true,
      logBucket,
      logFilePrefix: CLOUDFRONT_LOG_PREFIX,
      domainNames: custom ? [config.web.domainName as string] : undefined,
      certificate: custom
        ? acm.Certificate.fromCertificateArn(this, 'Certificate', config.web.certificateArn as string)
        : undefined,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
        functionAssociations: [
          { function: spaRouting, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
        ],
      },
      additionalBehaviors: {
        '/api/*': {
          origin: apiOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          // Everything but Host (API Gateway routes on its own host name), incl. Authorization.
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: apiHeaders,
          compress: true,
        },
      },
    });
    if (!custom) {
      acknowledge(this.distribution, 'defaultCloudFrontCertificate');
    }

    new CfnOutput(this, 'DistributionDomainName', {
      description: 'Where the web app and /api are served (point DNS here without a hosted zone)',
      value: this.distribution.distributionDomainName,
    });
    new CfnOutput(this, 'DistributionId', {
      description: 'For cache invalidations: aws cloudfront create-invalidation --distribution-id …',
      value: this.distribution.distributionId,
    });

    const zone = config.web.hostedZone;
    if (custom && zone) {
      const hostedZone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
        hostedZoneId: zone.id,
        zoneName: zone.name,
      });
      const target = route53.RecordTarget.fromAlias(new route53targets.CloudFrontTarget(this.distribution));
      const recordName = config.web.domainName as string;
      new route53.ARecord(this, 'AliasA', { zone: hostedZone, recordName, target });
      new route53.AaaaRecord(this, 'AliasAaaa', { zone: hostedZone, recordName, target });
    }

    const dist = props.webDistDir ?? path.join(REPO_ROOT, 'web', 'dist');
    this.usedPlaceholder = !fs.existsSync(path.join(dist, 'index.html'));
    const siteDir = this.usedPlaceholder ? path.join(REPO_ROOT, 'lib', 'web-placeholder') : dist;
    // The deployment function gets a role we write ourselves (no managed policy, grants limited
    // to what `aws s3 sync` and the invalidation need); the role is immutable so the construct's
    // own broader grants (s3:GetObject*, s3:List*, s3:Abort*, ...) are not added to it.
    const deployLogs = new logs.LogGroup(this, 'DeploySiteLogs', {
      encryptionKey: props.logKey,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const deployRole = new iam.Role(this, 'DeploySiteRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies the web build into the site bucket',
    });
    const assetsBucketArn = `arn:${this.partition}:s3:::cdk-hnb659fds-assets-${this.account}-${this.region}`;
    deployRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [deployLogs.logGroupArn],
      }),
    );
    deployRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`${assetsBucketArn}/*`] }),
    );
    deployRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
    deployRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    deployRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation'],
        resources: [
          `arn:${this.partition}:cloudfront::${this.account}:distribution/${this.distribution.distributionId}`,
        ],
      }),
    );
    deployRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
        resources: ['*'],
      }),
    );
    acknowledge(deployRole, 'bucketDeploymentAssetRead', {
      REGION: this.region,
      // cdk-nag renders an unresolved partition or account as <AWS::Partition>, <AWS::AccountId>;
      // `cdk deploy` resolves the account from the credentials (CDK_DEFAULT_ACCOUNT).
      PARTITION: Token.isUnresolved(this.partition) ? '<AWS::Partition>' : this.partition,
      ACCOUNT: Token.isUnresolved(this.account) ? '<AWS::AccountId>' : this.account,
    });
    acknowledge(deployRole, 'bucketDeploymentSiteWrite', {
      SITE_BUCKET: this.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket),
    });
    // The hashed files under assets/ are never deleted: a tab opened before a deploy still runs
    // the previous release's entry chunk, which loads its lazy chunks (the console pages) by their
    // old names, and a chunk deleted under it would replace the whole app with "Something went
    // wrong". Each release's are uploaded first, pruning nothing, then the rest of the site (the
    // index.html that names them, config.json), pruned except for assets/. No lifecycle rule
    // expires the old ones: it would go by an object's age, and a chunk unchanged for that long
    // (same content, same name, not uploaded again) is still one the current index.html loads.
    // A release adds only the chunks whose content changed, a few hundred KB.
    const assetsDir = path.join(siteDir, 'assets');
    const assets = fs.existsSync(assetsDir)
      ? new s3deploy.BucketDeployment(this, 'DeployAssets', {
          role: deployRole.withoutPolicyUpdates(),
          logGroup: deployLogs,
          destinationBucket: this.bucket,
          destinationKeyPrefix: 'assets/',
          sources: [s3deploy.Source.asset(assetsDir)],
          memoryLimit: 512,
          prune: false,
        })
      : undefined;
    const site = new s3deploy.BucketDeployment(this, 'DeploySite', {
      role: deployRole.withoutPolicyUpdates(),
      logGroup: deployLogs,
      destinationBucket: this.bucket,
      sources: [
        s3deploy.Source.asset(siteDir, { exclude: ['assets'] }),
        s3deploy.Source.jsonData('config.json', {
          region: this.region,
          userPoolId: props.userPoolId,
          clientId: props.spaClientId,
          apiUrl: '/api',
          idleSignOutMinutes: props.config.web.idleSignOutMinutes,
        }),
      ],
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/config.json'],
      memoryLimit: 512,
      prune: true,
      // Neither uploaded nor pruned by this sync: DeployAssets' own.
      exclude: ['assets/*'],
    });
    if (assets) site.node.addDependency(assets);
    // The construct exposes no tracing option; its function is a singleton at stack level.
    for (const fn of this.node.findAll()) {
      if (fn instanceof lambda.CfnFunction && fn.node.path.includes('CDKBucketDeployment')) {
        fn.tracingConfig = { mode: 'Active' };
        acknowledge(fn, 'bucketDeploymentRuntime');
        acknowledge(fn, 'bucketDeploymentRuntimeServerless');
      }
    }
  }
}
