import { ArnFormat, Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { ACCESS_TOKEN_MINUTES } from '#shared/domain/access-token';
import { ROLES } from '#shared/domain/roles';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as logsDestinations from 'aws-cdk-lib/aws-logs-destinations';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { acknowledge } from '../config/nag-acknowledgements';
import { PASSWORD_POLICY } from '#auth/domain/password-policy';
import type { StageConfig } from '../config/stages';
import { AppFunction } from '../constructs/app-function';
import { FunctionAlarms } from '../constructs/function-alarms';
import { functionEnvironment, webOrigin } from '../constructs/function-environment';
import { ParleyWebAcl, pathStartsWith } from '../constructs/web-acl';
import { DB_NAME } from './data-stack';

export interface AuthStackProps extends StackProps {
  readonly config: StageConfig;
  readonly opsKey: kms.IKey;
  readonly alarmTopic: sns.ITopic;
  readonly cluster: rds.DatabaseCluster;
  readonly databaseSecret: secretsmanager.ISecret;
  readonly openAiSecret: secretsmanager.ISecret;
  /** Grants Data API access (DataStack.grantDataApi). */
  readonly grantDataApi: (grantee: iam.IGrantable) => void;
}

/** The role groups, in precedence order (the functions' own list). */
export const ROLE_GROUPS = ROLES;
export const RESOURCE_SERVER_ID = 'parley';
export const SCOPES = { read: 'chat.read', write: 'chat.write' } as const;
/** The user pool domain's OAuth 2.0 token endpoint (client credentials). */
export const TOKEN_ENDPOINT_PATH = '/oauth2/token';

/** The prefix of the stage's user pool domain (`<prefix>.auth.<region>.amazoncognito.com`). */
export const userPoolDomainPrefix = (stage: string) => `parley-${stage}-${Aws.ACCOUNT_ID}`;

/**
 * The token endpoint machine clients use, built from the stage, account and region as the Auth
 * stack names its domain: no cross-stack reference for a value both stacks know.
 */
export const tokenUrl = (stage: string) =>
  `https://${userPoolDomainPrefix(stage)}.auth.${Aws.REGION}.amazoncognito.com${TOKEN_ENDPOINT_PATH}`;

/**
 * What a person may not do with their own access token, refused by the user pool's WAF. No app
 * client setting stops these: the `aws.cognito.signin.user.admin` scope that authorizes them is in
 * every SRP access token. The app never calls them, and the local Cognito refuses them (none is
 * one of `PUBLIC_OPERATIONS` in `bin/local/cognito-access.ts`).
 * - `DeleteUser` deletes their Cognito account outside the admin API: no audit event records it,
 *   their `users` row stays active, and a re-invitation gets a new `sub` that does not own their
 *   conversations.
 * - `GetUserAttributeVerificationCode` e-mails a code, as often as asked, from the pool's daily
 *   e-mail quota that invitations and password resets need; `VerifyUserAttribute` is its other
 *   half. Parley verifies no attribute: invited addresses are verified by the invitation, and
 *   people write no attribute but `locale`.
 */
export const REFUSED_USER_POOL_OPERATIONS: readonly string[] = [
  'DeleteUser',
  'GetUserAttributeVerificationCode',
  'VerifyUserAttribute',
];

const TRIGGERS = {
  preAuthentication: 'pre-authentication',
  postAuthentication: 'post-authentication',
  postConfirmation: 'post-confirmation',
  preTokenGeneration: 'pre-token-generation',
} as const;
type TriggerName = keyof typeof TRIGGERS;

/**
 * Log groups whose names start here take vended logs (Cognito's log export among them) under one
 * account-wide CloudWatch Logs resource policy for the prefix, instead of a statement per log
 * group in a policy limited to 5,120 characters.
 */
export const VENDED_LOGS_PREFIX = '/aws/vendedlogs/';

/** The log group Cognito exports the user pool's user activity (threat protection) to. */
export function signInActivityLogGroupName(stage: string): string {
  return `${VENDED_LOGS_PREFIX}cognito/parley-${stage}-sign-in-activity`;
}

/**
 * The Cognito user pool (password policy, TOTP MFA, groups, threat protection), the SPA and
 * machine app clients, the resource server and its scopes, the four triggers, the export of its
 * sign-in activity into the audit trail, and its WAF.
 */
export class AuthStack extends Stack {
  readonly userPool: cognito.UserPool;
  readonly spaClient: cognito.UserPoolClient;
  readonly machineClient: cognito.UserPoolClient;
  readonly triggerFunctions: AppFunction[] = [];
  /** Records each sign-in Cognito exports, with its address and device, in the audit trail. */
  readonly signInActivityFunction: AppFunction;
  readonly signInActivityLogGroup: logs.LogGroup;
  readonly alarms: FunctionAlarms[] = [];

  constructor(scope: Construct, id: string, props: AuthStackProps) {
    super(scope, id, props);
    const { config } = props;
    // Declared up front so grants on the data stack's key land in our role policies, not in the
    // key policy (which would make the data stack depend on this one).
    this.addStackDependency(Stack.of(props.cluster));

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `parley-${config.stage}`,
      // Admins invite users (AdminCreateUser); nobody signs themselves up.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      keepOriginal: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: PASSWORD_POLICY.minLength,
        requireUppercase: PASSWORD_POLICY.requireUppercase,
        requireLowercase: PASSWORD_POLICY.requireLowercase,
        requireDigits: PASSWORD_POLICY.requireDigits,
        requireSymbols: PASSWORD_POLICY.requireSymbols,
        tempPasswordValidity: Duration.days(PASSWORD_POLICY.tempPasswordValidityDays),
        passwordHistorySize: 5,
      },
      // TOTP only: SMS is phishable and costs money. REQUIRED: everyone sets it up at the first
      // sign-in (MFA_SETUP). OPTIONAL: members may skip it; the API refuses admins and auditors
      // without it (MFA_REQUIRED_ROLES).
      mfa: config.auth.mfa === 'REQUIRED' ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // Cognito's built-in e-mail sends 50 a day; set here rather than in the console, as an
      // update of the pool by CloudFormation resets what its template leaves out.
      ...(config.auth.email ? { email: sesEmail(config.auth.email) } : {}),
      deletionProtection: true,
      // Plus in every stage (a few cents a month for test users) so threat protection is
      // exercised before prod; only prod blocks risky sign-ins.
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode:
        config.auth.threatProtection === 'FULL_FUNCTION'
          ? cognito.StandardThreatProtectionMode.FULL_FUNCTION
          : cognito.StandardThreatProtectionMode.AUDIT_ONLY,
      userInvitation: invitationMessage(config.web.domainName),
      // Cognito e-mails this for "Forgot your password?" (its verification message template).
      userVerification: {
        emailStyle: cognito.VerificationEmailStyle.CODE,
        emailSubject: 'Your Parley password reset code',
        emailBody:
          'Your Parley code is {####}. Enter it where you asked to reset your password, within an hour, to choose a new one. ' +
          'If you did not ask, ignore this e-mail: your password stays as it is.',
      },
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    new CfnOutput(this, 'UserPoolId', {
      description: 'For the first admin and other Cognito CLI calls (docs/deployment.md)',
      value: this.userPool.userPoolId,
    });

    ROLE_GROUPS.forEach((groupName, precedence) => {
      new cognito.CfnUserPoolGroup(this, `Group-${groupName}`, {
        userPoolId: this.userPool.userPoolId,
        groupName,
        precedence,
        description: `Parley role ${groupName}`,
      });
    });

    const resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier: RESOURCE_SERVER_ID,
      scopes: [
        new cognito.ResourceServerScope({
          scopeName: SCOPES.read,
          scopeDescription: 'Read own conversations',
        }),
        new cognito.ResourceServerScope({
          scopeName: SCOPES.write,
          scopeDescription: 'Write own conversations',
        }),
      ],
    });
    const scopeOf = (name: string) =>
      cognito.OAuthScope.resourceServer(
        resourceServer,
        new cognito.ResourceServerScope({ scopeName: name, scopeDescription: name }),
      );

    this.spaClient = this.userPool.addClient('SpaClient', {
      userPoolClientName: 'parley-web',
      generateSecret: false,
      // SRP only: the web app never sends the password on AWS. No ALLOW_REFRESH_TOKEN_AUTH either:
      // with rotation on, refresh goes through GetTokensFromRefreshToken, which every client allows.
      authFlows: { userSrp: true, userPassword: false, custom: false, adminUserPassword: false, user: false },
      // The SPA signs in through the Cognito API; no hosted UI, so no OAuth flows.
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      // Each refresh returns a new refresh token; the old one stays valid 60 s for retries.
      refreshTokenRotationGracePeriod: Duration.seconds(60),
      accessTokenValidity: Duration.minutes(ACCESS_TOKEN_MINUTES),
      idTokenValidity: Duration.minutes(60),
      refreshTokenValidity: Duration.days(7),
      authSessionValidity: Duration.minutes(5),
      // What a person may change about themself with their own access token (UpdateUserAttributes):
      // only `locale`, a preference Parley does not read. Without a list Cognito lets them write
      // every standard attribute: their sign-in e-mail (once the new address is verified) without
      // an admin, and a verification e-mail to any address on each change, from the pool's small
      // daily e-mail quota that invitations and password resets need. An empty list is no list
      // (every standard attribute again), hence one harmless attribute. Admins change e-mail
      // addresses through the admin API, which this list does not govern.
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ locale: true }),
    });
    this.machineClient = this.userPool.addClient('MachineClient', {
      userPoolClientName: 'parley-machine',
      generateSecret: true,
      // Named, all off: with no ExplicitAuthFlows at all Cognito would allow SRP and custom sign-in
      // on this client. CDK then lists only ALLOW_REFRESH_TOKEN_AUTH, which is inert here: the
      // client-credentials grant issues no refresh token.
      authFlows: { userPassword: false, userSrp: false, custom: false, adminUserPassword: false },
      oAuth: {
        flows: { clientCredentials: true },
        scopes: [scopeOf(SCOPES.read), scopeOf(SCOPES.write)],
      },
      enableTokenRevocation: true,
      accessTokenValidity: Duration.minutes(ACCESS_TOKEN_MINUTES),
    });
    // Client credentials are exchanged at the pool's token endpoint, which needs a domain.
    this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: userPoolDomainPrefix(config.stage) },
    });

    // --- Triggers -----------------------------------------------------------------------------
    // Each trigger may call the Cognito admin APIs its own code calls, and no other (the roles
    // come from `users.role`, so none of them reads or changes groups in Cognito).
    // The pool names its triggers by ARN built from fixed function names, and the functions read
    // the pool id from their environment: referencing the functions would make a cycle.
    const environment = functionEnvironment({
      stage: config.stage,
      dbClusterArn: props.cluster.clusterArn,
      dbSecretArn: props.databaseSecret.secretArn,
      dbName: DB_NAME,
      userPoolId: this.userPool.userPoolId,
      clientIds: [this.spaClient.userPoolClientId, this.machineClient.userPoolClientId],
      openAiSecretArn: props.openAiSecret.secretArn,
      openAiModel: config.openaiModel,
      webOrigin: webOrigin(config.web.domainName),
      serviceName: 'auth',
      logLevel: config.logLevel,
    });
    const lambdaConfig: Record<string, unknown> = {};
    for (const [key, file] of Object.entries(TRIGGERS) as [TriggerName, string][]) {
      const functionName = `parley-${config.stage}-${file}`;
      const fn = new AppFunction(this, `Trigger-${file}`, {
        functionName,
        entry: `functions/auth/triggers/${file}.ts`,
        description: `Parley ${config.stage} Cognito ${file} trigger`,
        logKey: props.opsKey,
        logRetentionDays: config.logRetentionDays,
        logLevel: config.logLevel,
        runtimeSourceMaps: config.runtimeSourceMaps,
        environment: { ...environment, POWERTOOLS_SERVICE_NAME: `auth-${file}` },
        // Cognito waits at most 5 s for a trigger. Aurora resuming from 0 ACUs (dev) can take
        // longer, so the first sign-in after a pause may fail once and succeed on retry.
        timeout: Duration.seconds(5),
        memorySize: 1024,
      });
      props.grantDataApi(fn);
      fn.addPermission('CognitoInvoke', {
        principal: new iam.ServicePrincipal('cognito-idp.amazonaws.com'),
        sourceArn: this.userPool.userPoolArn,
      });
      this.triggerFunctions.push(fn);
      this.alarms.push(
        new FunctionAlarms(this, `Trigger-${file}-Alarms`, {
          target: fn,
          name: `trigger-${file}`,
          stage: config.stage,
          topic: props.alarmTopic,
          p99Threshold: Duration.seconds(3),
        }),
      );
      const arn = `arn:${Aws.PARTITION}:lambda:${Aws.REGION}:${Aws.ACCOUNT_ID}:function:${functionName}`;
      if (key === 'preTokenGeneration') {
        // V2 events let the trigger put the role claim into access tokens, which the API reads.
        lambdaConfig.preTokenGenerationConfig = { lambdaArn: arn, lambdaVersion: 'V2_0' };
      } else {
        lambdaConfig[key] = arn;
      }
      if (key === 'postAuthentication') {
        // Cognito tells no trigger whether a user has MFA: post-authentication reads it (the
        // `users.mfa_enabled` that /me shows and the API checks for admins and auditors).
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['cognito-idp:AdminGetUser'],
            resources: [this.userPool.userPoolArn],
          }),
        );
      }
      if (key === 'postConfirmation') {
        // After a password reset, the user's earlier sessions end (their refresh tokens).
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['cognito-idp:AdminUserGlobalSignOut'],
            resources: [this.userPool.userPoolArn],
          }),
        );
      }
    }
    (this.userPool.node.defaultChild as cognito.CfnUserPool).lambdaConfig = lambdaConfig;

    // --- Sign-in activity ---------------------------------------------------------------------
    // Cognito tells no trigger where a sign-in came from. Threat protection (the Plus plan, every
    // stage) records each sign-in with its address and device, and the pool exports these
    // records into a log group, whose subscription appends them to the audit trail.
    const activityLogGroupName = signInActivityLogGroupName(config.stage);
    this.signInActivityLogGroup = new logs.LogGroup(this, 'UserActivityLogGroup', {
      logGroupName: activityLogGroupName,
      // No KMS key, unlike our other log groups: Cognito delivers only to log groups without one
      // (CloudWatch Logs still encrypts them at rest, with keys of its own). docs/security.md.
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const activityExport = new cognito.CfnLogDeliveryConfiguration(this, 'SignInActivityExport', {
      userPoolId: this.userPool.userPoolId,
      logConfigurations: [
        {
          eventSource: 'userAuthEvents',
          logLevel: 'INFO',
          // The log group's ARN without the ':*' CloudFormation's Arn attribute ends with, which
          // the export's LogGroupArn pattern does not accept.
          cloudWatchLogsConfiguration: {
            logGroupArn: this.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: activityLogGroupName,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      ],
    });
    activityExport.node.addDependency(this.signInActivityLogGroup);

    this.signInActivityFunction = new AppFunction(this, 'SignInActivity', {
      functionName: `parley-${config.stage}-sign-in-activity`,
      entry: 'functions/auth/activity/handler.ts',
      description: `Parley ${config.stage} sign-in activity into the audit trail`,
      logKey: props.opsKey,
      logRetentionDays: config.logRetentionDays,
      logLevel: config.logLevel,
      runtimeSourceMaps: config.runtimeSourceMaps,
      environment: { ...environment, POWERTOOLS_SERVICE_NAME: 'auth-sign-in-activity' },
      // Invoked asynchronously by CloudWatch Logs, nobody waits: time for a batch while Aurora
      // resumes from 0 ACUs (dev).
      timeout: Duration.seconds(60),
      memorySize: 512,
    });
    props.grantDataApi(this.signInActivityFunction);
    // The destination adds the function's resource policy: logs.amazonaws.com, from this log
    // group only.
    new logs.SubscriptionFilter(this, 'SignInActivitySubscription', {
      logGroup: this.signInActivityLogGroup,
      filterName: `parley-${config.stage}-sign-in-activity`,
      // Every record: the function reads each one and keeps the sign-ins.
      filterPattern: logs.FilterPattern.allEvents(),
      destination: new logsDestinations.LambdaDestination(this.signInActivityFunction),
    });
    this.alarms.push(
      new FunctionAlarms(this, 'SignInActivity-Alarms', {
        target: this.signInActivityFunction,
        name: 'sign-in-activity',
        stage: config.stage,
        topic: props.alarmTopic,
        p99Threshold: Duration.seconds(20),
      }),
    );

    // --- WAF ----------------------------------------------------------------------------------
    const waf = new ParleyWebAcl(this, 'Waf', {
      logging: { retentionDays: config.logRetentionDays, retain: config.retainData, key: props.opsKey },
      scope: 'REGIONAL',
      name: `parley-${config.stage}-userpool`,
      // Sign-in is a handful of requests per person; this stops password spraying from one IP.
      rateLimitPer5Min: config.auth.wafRateLimitPer5Min,
      // Machine clients exchange client credentials at the token endpoint from cloud hosts (CI
      // runners, servers); sign-in from hosting-provider addresses stays blocked.
      hostingProviders: { machineClients: pathStartsWith(TOKEN_ENDPOINT_PATH) },
      refusedCognitoOperations: REFUSED_USER_POOL_OPERATIONS,
    });
    waf.associate('UserPoolAssociation', this.userPool.userPoolArn);

    if (config.auth.mfa !== 'REQUIRED') {
      acknowledge(this.userPool, 'optionalMfaOutsideProd');
    }
  }
}

/** Cognito's e-mail through the stage's SES identity (`auth.email`, checked by the stage schema). */
function sesEmail(email: NonNullable<StageConfig['auth']['email']>): cognito.UserPoolEmail {
  return cognito.UserPoolEmail.withSES({
    fromEmail: email.from,
    ...(email.fromName ? { fromName: fromNamePhrase(email.fromName) } : {}),
    ...(email.replyTo ? { replyTo: email.replyTo } : {}),
    ...(email.sesRegion ? { sesRegion: email.sesRegion } : {}),
    ...(email.verifiedDomain ? { sesVerifiedDomain: email.verifiedDomain } : {}),
    ...(email.configurationSet ? { configurationSetName: email.configurationSet } : {}),
  });
}

/** RFC 5322 atext, and the spaces between words: a display name of these needs no quotes. */
const ATEXT_PHRASE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/;

/**
 * The sender's name as From needs it. An ASCII name with a comma, period, parenthesis or other
 * special is quoted here: CDK quotes only outside its own character class, which takes `+` to `/`
 * as a range and so lets a comma through bare, and "Parley, by Acme <a@b>" names two mailboxes.
 * (The stage schema refuses quotes and backslashes.) A name beyond ASCII is left to CDK, which
 * sends it as an RFC 2047 encoded word.
 */
export function fromNamePhrase(name: string): string {
  return /^[\x20-\x7e]+$/.test(name) && !ATEXT_PHRASE.test(name) ? `"${name}"` : name;
}

/**
 * The invitation e-mail. Cognito requires the {username} placeholder, but in a pool that signs in
 * by e-mail the user name is a generated id (e.g. 1c7527bc-…), not what the person types: the text
 * asks for the e-mail address and shows the id as a reference only.
 */
export function invitationMessage(domainName: string | undefined): {
  emailSubject: string;
  emailBody: string;
} {
  const where = domainName ? ` at https://${domainName}` : '';
  return {
    emailSubject: 'Your Parley invitation',
    emailBody:
      `You have been invited to Parley. Sign in${where} with this e-mail address and the temporary password {####} ` +
      `within ${PASSWORD_POLICY.tempPasswordValidityDays} days, then choose a password of your own. ` +
      'If it has expired, ask your Parley admin to send the invitation again. (Your account id, for support only: {username})',
  };
}
