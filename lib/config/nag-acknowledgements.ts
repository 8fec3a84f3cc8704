import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Every cdk-nag finding we accept, with its reason, in one place (docs/security.md lists them;
 * `test/infra/config/nag-acknowledgements.test.ts` keeps this list at 15 or fewer and checks the
 * doc names each one).
 * An entry may be applied to several constructs of the same kind, never to a whole app unless
 * its reason holds for every resource.
 */
export const NAG_ACKNOWLEDGEMENTS = {
  lambdaDlq: {
    id: 'Serverless-LambdaDLQ',
    reason:
      'Every function but two is invoked synchronously (API Gateway, Cognito triggers, the request-response migration trigger, CloudFormation custom resources); a dead-letter queue only receives failed asynchronous events, so it would stay empty. The two invoked asynchronously keep nothing a queue would. The sign-in activity subscription (parley-<stage>-sign-in-activity) reads a log group that keeps its records for the retention period: a failed batch is replayed from there (idempotent on the Cognito event id). The retention function (parley-<stage>-retention) is run once a day by EventBridge Scheduler, whose event carries no data (the schedule retries a failed delivery twice within 6 hours and has no dead-letter queue either; Lambda retries a failed run twice): its work is idempotent, so the next daily run redoes what a failed one left, and its errors, a missed run and three incomplete runs in a row page the operators. Failures surface as alarms and failed deployments.',
  },
  wildcardResource: {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Only for actions with no resource-level permissions: X-Ray PutTraceSegments/PutTelemetryRecords (active tracing), the EC2 network-interface actions Lambda needs in a VPC, and CloudWatch DescribeAlarms for CodeDeploy rollbacks. test/infra/parley-app.test.ts fails if any other action is granted on "*".',
  },
  openAiSecretRotation: {
    id: 'AwsSolutions-SMG4',
    reason:
      'The OpenAI API key is issued by OpenAI and can only be rotated in their console; the two CloudFront origin-header secrets are read by CloudFormation at deploy time (WAF rule, CloudFront origin header), so a rotation is a new value and a deploy, never a Lambda. docs/security.md has both runbooks. The database secret does rotate (30 days).',
  },
  optionalMfaOutsideProd: {
    id: 'AwsSolutions-COG2',
    reason:
      'Outside prod MFA is optional at the pool level so test users can sign in without TOTP; the app still forces admins to enrol, and prod requires MFA for everyone.',
  },
  publicRoutesNoAuthorizer: {
    id: 'AwsSolutions-APIG4',
    reason:
      'Public by design (route declaration access: public): liveness, readiness and the OpenAPI document, which carry no user data.',
  },
  publicRoutesNoCognito: {
    id: 'AwsSolutions-COG4',
    reason:
      'Public by design (route declaration access: public): the health and OpenAPI routes have no Cognito authorizer.',
  },
  defaultCloudFrontCertificate: {
    id: 'AwsSolutions-CFR4',
    reason:
      'Without a custom domain CloudFront serves *.cloudfront.net with its own certificate, whose TLS policy it fixes; set web.domainName and web.certificateArn to get the configured TLSv1.2_2021 minimum.',
  },
  accessLogBucketLogging: {
    id: 'AwsSolutions-S1',
    reason: 'This is the access-log bucket itself; logging its own accesses into itself would loop.',
  },
  alarmEmailRedrive: {
    id: 'Serverless-SNSRedrivePolicy',
    reason:
      "The only subscription is the operators' e-mail address; SNS retries e-mail delivery itself, and an SQS dead-letter queue for it would in turn need its own DLQ (AwsSolutions-SQS3). Undelivered alarms still show in the console and on the dashboard.",
  },
  apiGatewayLogsManagedPolicy: {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    reason:
      'The account-level role API Gateway assumes to write execution logs; AWS documents this managed policy as the way to grant it.',
  },
  backupManagedPolicy: {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
    reason:
      'AWS Backup selections always attach the AWS-managed backup policy to their role; it lets AWS Backup snapshot the selected Aurora cluster.',
  },
  bucketDeploymentRuntime: {
    id: 'AwsSolutions-L1',
    reason:
      "The BucketDeployment handler is CDK's own Python function; its runtime is pinned and tested by aws-cdk-lib and moves with our aws-cdk-lib upgrades.",
  },
  bucketDeploymentRuntimeServerless: {
    id: 'Serverless-LambdaLatestVersion',
    reason: "Same as AwsSolutions-L1: the BucketDeployment handler's runtime is pinned by aws-cdk-lib.",
  },
  bucketDeploymentAssetRead: {
    id: 'AwsSolutions-IAM5[Resource::arn:{PARTITION}:s3:::cdk-hnb659fds-assets-{ACCOUNT}-{REGION}/*]',
    reason:
      'The web deployment function reads the site archive from the CDK assets bucket; asset object keys are content hashes, so the grant is to objects of that bucket (s3:GetObject only).',
  },
  bucketDeploymentSiteWrite: {
    id: 'AwsSolutions-IAM5[Resource::<{SITE_BUCKET}.Arn>/*]',
    reason:
      'The web deployment function writes and prunes the objects of the site bucket, whose keys are the build output (s3:GetObject, s3:PutObject, s3:DeleteObject only).',
  },
} as const;

export type NagAcknowledgementKey = keyof typeof NAG_ACKNOWLEDGEMENTS;

/**
 * Acknowledges one listed finding on `scope` and everything below it. `substitutions` fill the
 * placeholders of finding ids that name a resource (`{ACCOUNT}`, `{REGION}`, `{SITE_BUCKET}`).
 */
export function acknowledge(
  scope: IConstruct,
  key: NagAcknowledgementKey,
  substitutions: Record<string, string> = {},
): void {
  const { id, reason } = NAG_ACKNOWLEDGEMENTS[key];
  const resolved = Object.entries(substitutions).reduce(
    (acc, [k, v]) => acc.replaceAll(`{${k}}`, v),
    id as string,
  );
  Validations.of(scope).acknowledge({ id: resolved, reason });
}
