import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_MINUTES } from '#shared/domain/access-token';
import { SES_ALTERNATE_REGIONS, STAGES } from '../../../lib/config/stages';
import { fromNamePhrase, invitationMessage } from '../../../lib/stacks/auth-stack';
import { serviceActionsByFunction, type SynthesizedStage, synthesizeStage } from '../support';

let dev: SynthesizedStage;
let prod: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
  prod = synthesizeStage('prod');
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
    const spa = Object.values(dev.templates.auth.findResources('AWS::Cognito::UserPoolClient')).find(
      (c) => c.Properties.ClientName === 'parley-web',
    );
    expect(spa?.Properties).toMatchObject({
      GenerateSecret: false,
      EnableTokenRevocation: true,
      RefreshTokenRotation: { Feature: 'ENABLED' },
    });
    // Exactly SRP: no USER_PASSWORD_AUTH (the password never leaves the browser), and no USER_AUTH,
    // which would allow password sign-in whatever the list says. Refresh is still allowed: with
    // rotation on, Cognito refuses REFRESH_TOKEN_AUTH and refreshes through
    // GetTokensFromRefreshToken, which ExplicitAuthFlows does not govern.
    expect(spa?.Properties.ExplicitAuthFlows).toEqual(['ALLOW_USER_SRP_AUTH']);
    // People write no attribute Parley reads: not their sign-in e-mail, nor anything whose change
    // sends a verification message. The list must not be empty or absent: Cognito reads either as
    // "every standard attribute".
    expect(spa?.Properties.WriteAttributes).toEqual(['locale']);
    // A client with a federated sign-in must be able to write every attribute mapped from it
    // (Cognito updates them at each sign-in): this one signs in with Cognito alone.
    expect(spa?.Properties.SupportedIdentityProviders ?? ['COGNITO']).toEqual(['COGNITO']);
    expect(dev.templates.auth.findResources('AWS::Cognito::UserPoolIdentityProvider')).toEqual({});
    dev.templates.auth.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: true,
      AllowedOAuthFlows: ['client_credentials'],
    });
    const machine = Object.values(dev.templates.auth.findResources('AWS::Cognito::UserPoolClient')).find(
      (c) => c.Properties.ClientName === 'parley-machine',
    );
    // Named, so Cognito's default (SRP and custom sign-in) does not apply; refresh is inert for
    // client credentials, which issue no refresh token.
    expect(machine?.Properties.ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);
    expect(JSON.stringify(machine?.Properties.AllowedOAuthScopes)).toMatch(/chat\.read.*chat\.write/);
    dev.templates.auth.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'parley',
      Scopes: [Match.objectLike({ ScopeName: 'chat.read' }), Match.objectLike({ ScopeName: 'chat.write' })],
    });
  });
});

describe('access tokens', () => {
  it('live exactly as long as the erasure rule waits, on every app client (ACCESS_TOKEN_MINUTES)', () => {
    // Erasing a user waits this long after the disable, so no token of theirs outlives the row.
    const clients = Object.values(dev.templates.auth.findResources('AWS::Cognito::UserPoolClient'));
    expect(clients.length).toBeGreaterThanOrEqual(2);
    for (const client of clients) {
      const { AccessTokenValidity, TokenValidityUnits } = client.Properties as {
        AccessTokenValidity?: number;
        TokenValidityUnits?: { AccessToken?: string };
      };
      expect(AccessTokenValidity).toBe(ACCESS_TOKEN_MINUTES);
      expect(TokenValidityUnits?.AccessToken).toBe('minutes');
    }
  });
});

describe('the invitation e-mail', () => {
  // InviteMessageTemplate's documented constraints (CloudFormation reference), and Cognito's rule
  // that an invitation holds both placeholders.
  const EMAIL_MESSAGE = /^[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{####\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*$/u;
  const EMAIL_SUBJECT = /^[\p{L}\p{M}\p{S}\p{N}\p{P}\s]+$/u;

  it("meets Cognito's template rules in every stage, with and without a custom domain", () => {
    for (const stage of [dev, prod]) {
      const pool = only(stage.templates.auth, 'AWS::Cognito::UserPool').props as {
        AdminCreateUserConfig: { InviteMessageTemplate: { EmailMessage: string; EmailSubject: string } };
      };
      const { EmailMessage, EmailSubject } = pool.AdminCreateUserConfig.InviteMessageTemplate;
      expect(EmailMessage).toMatch(EMAIL_MESSAGE);
      expect(EmailMessage.length).toBeGreaterThanOrEqual(6);
      expect(EmailMessage.length).toBeLessThanOrEqual(20_000);
      expect(EmailMessage.split('{####}')).toHaveLength(2);
      expect(EmailMessage.split('{username}')).toHaveLength(2);
      expect(EmailSubject).toMatch(EMAIL_SUBJECT);
      expect(EmailSubject.length).toBeLessThanOrEqual(140);
    }
  });

  it("sends the reset code with its own words, within the verification template's rules", () => {
    const pool = only(dev.templates.auth, 'AWS::Cognito::UserPool').props as {
      VerificationMessageTemplate: { DefaultEmailOption: string; EmailMessage: string; EmailSubject: string };
    };
    const { DefaultEmailOption, EmailMessage, EmailSubject } = pool.VerificationMessageTemplate;
    expect(DefaultEmailOption).toBe('CONFIRM_WITH_CODE');
    expect(EmailMessage).toMatch(EMAIL_MESSAGE);
    expect(EmailMessage.split('{####}')).toHaveLength(2);
    expect(EmailMessage).toMatch(/within an hour/);
    expect(EmailSubject).toMatch(EMAIL_SUBJECT);
    expect(EmailSubject.length).toBeLessThanOrEqual(140);
  });

  it('asks for the e-mail address, not the generated user name, and names the site when it has a domain', () => {
    const withDomain = invitationMessage('chat.example.org').emailBody;
    expect(withDomain).toContain('Sign in at https://chat.example.org with this e-mail address');
    expect(withDomain).not.toMatch(/sign in with \{username\}/i);
    expect(withDomain).toMatch(/within 3 days/);
    expect(invitationMessage(undefined).emailBody).toContain('Sign in with this e-mail address');
  });
});

describe("the user pool's WAF", () => {
  /** The limit of the user pool ACL's per-address rate rule. */
  const rateLimit = (stage: SynthesizedStage) => {
    const acls = Object.values(stage.templates.auth.findResources('AWS::WAFv2::WebACL')) as {
      Properties: { Rules: { Name: string; Statement: { RateBasedStatement?: { Limit: number } } }[] };
    }[];
    expect(acls).toHaveLength(1);
    return acls[0]?.Properties.Rules.find((r) => r.Name === 'RatePerIp')?.Statement.RateBasedStatement?.Limit;
  };

  it("limits each address to the stage's auth.wafRateLimitPer5Min (300 by default)", () => {
    expect(rateLimit(dev)).toBe(300);
    const office = synthesizeStage('dev', {
      change: (c) => ({ ...c, auth: { ...c.auth, wafRateLimitPer5Min: 1500 } }),
    });
    expect(rateLimit(office)).toBe(1500);
  });
});

describe("Cognito's admin APIs", () => {
  it('lets each function call exactly the ones its code calls, on its own pool only', () => {
    // What each bundle calls (functions/auth/adapters, through the use cases each trigger runs):
    // post-authentication reads the user's MFA state (AdminGetUser, cognito-mfa-settings.ts);
    // post-confirmation ends the sessions after a password reset (AdminUserGlobalSignOut,
    // cognito-sessions.ts). The other triggers and the sign-in activity function call none. A
    // grant added or removed here is a change of this list.
    const byFunction = serviceActionsByFunction(dev.templates.auth, 'cognito-idp');
    expect(Object.fromEntries(Object.entries(byFunction).map(([fn, { actions }]) => [fn, actions]))).toEqual({
      'parley-dev-pre-authentication': [],
      'parley-dev-post-authentication': ['cognito-idp:AdminGetUser'],
      'parley-dev-post-confirmation': ['cognito-idp:AdminUserGlobalSignOut'],
      'parley-dev-pre-token-generation': [],
      'parley-dev-sign-in-activity': [],
    });
    for (const [fn, { resources }] of Object.entries(byFunction))
      for (const resource of resources)
        expect(resource, fn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^UserPool/), 'Arn'] });
  });
});

describe('post-confirmation after a password reset', () => {
  it('may sign users of its own pool out everywhere, and it alone of the triggers', () => {
    const policies = dev.templates.auth.findResources('AWS::IAM::Policy');
    const withSignOut = Object.entries(policies).filter(([, policy]) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes('cognito-idp:AdminUserGlobalSignOut'),
    );
    expect(withSignOut).toHaveLength(1);
    const [, policy] = withSignOut[0] ?? [];
    const statements = (policy?.Properties.PolicyDocument.Statement ?? []) as {
      Action: string | string[];
      Resource: unknown;
    }[];
    // CDK merges statements on the same resource: the action may share one with others.
    const signOut = statements.find((st) =>
      [st.Action].flat().includes('cognito-idp:AdminUserGlobalSignOut'),
    );
    expect(signOut?.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^UserPool/), 'Arn'] });
    // The policy belongs to the post-confirmation function's role.
    const roles = dev.templates.auth.findResources('AWS::Lambda::Function', {
      Properties: { FunctionName: 'parley-dev-post-confirmation' },
    });
    const role = Object.values(roles)[0]?.Properties.Role as { 'Fn::GetAtt': [string, string] };
    expect(policy?.Properties.Roles).toEqual([{ Ref: role['Fn::GetAtt'][0] }]);
  });
});

describe('in prod', () => {
  it('requires TOTP MFA and blocks risky sign-ins', () => {
    prod.templates.auth.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
  });
  it('lets post-authentication read users of its own pool only (the MFA state /me shows)', () => {
    dev.templates.auth.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'cognito-idp:AdminGetUser',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('UserPool'), 'Arn'] },
          }),
        ]),
      },
    });
  });
});

/** The one resource of `type` in `template`, with its logical id (fails unless exactly one). */
function only(template: Template, type: string, props?: Record<string, unknown>) {
  const found = Object.entries(template.findResources(type, props ? { Properties: props } : undefined));
  expect(found, type).toHaveLength(1);
  const [id, resource] = found[0] ?? [];
  return { id: id ?? '', props: (resource?.Properties ?? {}) as Record<string, unknown> };
}

describe('sign-in activity (where a sign-in came from, on AWS)', () => {
  const activityGroup = (template: Template) =>
    only(template, 'AWS::Logs::LogGroup', {
      // Cognito's export, not the function's own /aws/lambda/ group.
      LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/.*sign-in-activity'),
    });

  it('exports the pool’s user activity (INFO, userAuthEvents) to its log group, by the ARN Cognito accepts', () => {
    const group = activityGroup(dev.templates.auth);
    const delivery = only(dev.templates.auth, 'AWS::Cognito::LogDeliveryConfiguration');
    expect(delivery.props.UserPoolId).toEqual({ Ref: only(dev.templates.auth, 'AWS::Cognito::UserPool').id });
    const configurations = delivery.props.LogConfigurations as Record<string, unknown>[];
    expect(configurations).toHaveLength(1);
    expect(configurations[0]).toMatchObject({ EventSource: 'userAuthEvents', LogLevel: 'INFO' });
    // The ARN names that log group, without the ':*' of its Arn attribute (the export's
    // LogGroupArn pattern has no '*').
    const arn = JSON.stringify(
      (configurations[0]?.CloudWatchLogsConfiguration as { LogGroupArn?: unknown }).LogGroupArn,
    );
    expect(arn).toContain(`:log-group:${String(group.props.LogGroupName)}`);
    expect(arn).not.toContain('*');
    expect(arn).not.toContain('Fn::GetAtt');
    // Created after the log group it delivers to.
    const resources = dev.templates.auth.toJSON().Resources as Record<string, { DependsOn?: string[] }>;
    expect(resources[delivery.id]?.DependsOn).toContain(group.id);
  });

  it('names the log group under /aws/vendedlogs/ and keeps it for the stage’s retention, without a KMS key', () => {
    for (const [stage, template, days] of [
      ['dev', dev.templates.auth, 30],
      ['prod', prod.templates.auth, 365],
    ] as const) {
      const group = activityGroup(template);
      // Vended logs: one account-wide resource policy for the prefix, not a statement per group
      // in a policy limited to 5,120 characters.
      expect(group.props.LogGroupName).toBe(`/aws/vendedlogs/cognito/parley-${stage}-sign-in-activity`);
      expect(group.props.RetentionInDays).toBe(days);
      // Cognito delivers only to log groups without a KMS key.
      expect(group.props.KmsKeyId).toBeUndefined();
    }
  });

  it('subscribes the sign-in activity function to the log group, and lets only that log group invoke it', () => {
    const group = activityGroup(dev.templates.auth);
    const fn = only(dev.templates.auth, 'AWS::Lambda::Function', {
      FunctionName: 'parley-dev-sign-in-activity',
    });
    const filter = only(dev.templates.auth, 'AWS::Logs::SubscriptionFilter');
    expect(filter.props.LogGroupName).toEqual({ Ref: group.id });
    expect(filter.props.DestinationArn).toEqual({ 'Fn::GetAtt': [fn.id, 'Arn'] });
    expect(filter.props.FilterPattern).toBe('');
    const permission = only(dev.templates.auth, 'AWS::Lambda::Permission', {
      Principal: 'logs.amazonaws.com',
    });
    expect(permission.props).toMatchObject({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [fn.id, 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [group.id, 'Arn'] },
    });
  });

  it('runs the function as the triggers run: Data API as the application role, its own KMS log group, alarms', () => {
    const fn = only(dev.templates.auth, 'AWS::Lambda::Function', {
      FunctionName: 'parley-dev-sign-in-activity',
    });
    const trigger = only(dev.templates.auth, 'AWS::Lambda::Function', {
      FunctionName: 'parley-dev-pre-authentication',
    });
    const env = (f: typeof fn) => (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env(fn).DB_SECRET_ARN).toEqual(env(trigger).DB_SECRET_ARN);
    expect(env(fn).DB_CLUSTER_ARN).toEqual(env(trigger).DB_CLUSTER_ARN);
    expect(env(fn).POWERTOOLS_SERVICE_NAME).toBe('auth-sign-in-activity');
    const role = (fn.props.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    dev.templates.auth.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: role }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['rds-data:ExecuteStatement']), Effect: 'Allow' }),
        ]),
      },
    });
    const logGroup = (fn.props.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(
      (dev.templates.auth.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>)[
        logGroup
      ]?.Properties.KmsKeyId,
    ).toBeDefined();
    for (const kind of ['errors', 'throttles', 'duration']) {
      dev.templates.auth.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `parley-dev-sign-in-activity-${kind}`,
      });
    }
  });

  it.each(STAGES)('keeps the pool on the Plus plan with threat protection where it exports (%s)', (stage) => {
    const template =
      stage === 'dev' ? dev.templates.auth : stage === 'prod' ? prod.templates.auth : undefined;
    const auth = template ?? synthesizeStage(stage).templates.auth;
    only(auth, 'AWS::Cognito::LogDeliveryConfiguration');
    // userAuthEvents exist only with threat protection, which needs the Plus feature plan.
    auth.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: Match.stringLikeRegexp('^(AUDIT|ENFORCED)$') },
    });
  });
});

describe("Cognito's e-mail (auth.email)", () => {
  /** The pool's EmailConfiguration with AWS::AccountId and AWS::Partition filled in. */
  const emailConfiguration = (template: Template) => {
    const pool = only(template, 'AWS::Cognito::UserPool').props;
    const resolve = (value: unknown): unknown => {
      if (typeof value !== 'object' || value === null) return value;
      const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
      if (join) return join[1].map(resolve).join(join[0]);
      const ref = (value as { Ref?: string }).Ref;
      if (ref === 'AWS::AccountId') return '123456789012';
      if (ref === 'AWS::Partition') return 'aws';
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
    };
    return resolve(pool.EmailConfiguration) as Record<string, string> | undefined;
  };
  // EmailConfigurationType's documented constraints (Cognito API reference).
  const SOURCE_ARN =
    /^arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?$/;
  const REPLY_TO = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]+@[\p{L}\p{M}\p{S}\p{N}\p{P}]+$/u;
  const CONFIGURATION_SET = /^[a-zA-Z0-9_-]{1,64}$/;
  const checkConstraints = (email: Record<string, string>, stackRegion: string) => {
    const arn = email.SourceArn ?? '';
    expect(arn).toMatch(SOURCE_ARN);
    expect(arn.length).toBeGreaterThanOrEqual(20);
    expect(arn.length).toBeLessThanOrEqual(2048);
    // An identity of the pool's own account, in the pool's region or one Cognito also sends through.
    const [, , service, region, account] = arn.split(':');
    expect(service).toBe('ses');
    expect([stackRegion, ...SES_ALTERNATE_REGIONS]).toContain(region);
    expect(account).toBe('123456789012');
    if (email.ReplyToEmailAddress) expect(email.ReplyToEmailAddress).toMatch(REPLY_TO);
    if (email.ConfigurationSet) expect(email.ConfigurationSet).toMatch(CONFIGURATION_SET);
  };

  it("leaves a stage without it on Cognito's own e-mail", () => {
    for (const stage of [dev, prod]) {
      const email = emailConfiguration(stage.templates.auth);
      expect(email?.EmailSendingAccount ?? 'COGNITO_DEFAULT').toBe('COGNITO_DEFAULT');
      expect(email?.SourceArn).toBeUndefined();
    }
  });

  it("sends through SES as the stage's verified address, in the stage's region by default", () => {
    const stage = synthesizeStage('prod', {
      change: (c) => ({
        ...c,
        auth: {
          ...c.auth,
          email: { from: 'no-reply@example.org', fromName: 'Parley, by Acme', replyTo: 'help@example.org' },
        },
      }),
    });
    const email = emailConfiguration(stage.templates.auth) ?? {};
    expect(email).toEqual({
      EmailSendingAccount: 'DEVELOPER',
      // A name with a comma is quoted (RFC 5322 phrase).
      From: '"Parley, by Acme" <no-reply@example.org>',
      ReplyToEmailAddress: 'help@example.org',
      SourceArn: 'arn:aws:ses:eu-west-1:123456789012:identity/no-reply@example.org',
    });
    checkConstraints(email, 'eu-west-1');
  });

  it("quotes an ASCII sender name that is not all atext and words, and leaves the rest to CDK's encoding", () => {
    expect(fromNamePhrase('Parley')).toBe('Parley');
    expect(fromNamePhrase("Acme's Parley")).toBe("Acme's Parley");
    expect(fromNamePhrase('Parley, by Acme')).toBe('"Parley, by Acme"');
    expect(fromNamePhrase('Acme Inc.')).toBe('"Acme Inc."');
    expect(fromNamePhrase('Parley (Acme)')).toBe('"Parley (Acme)"');
    expect(fromNamePhrase('Parley: chat')).toBe('"Parley: chat"');
    // Beyond ASCII: CDK sends an RFC 2047 encoded word, which quotes nothing.
    expect(fromNamePhrase('Zoë, Acme')).toBe('Zoë, Acme');
  });

  it('names the verified domain as the identity, in another SES Region, with a configuration set', () => {
    const stage = synthesizeStage('dev', {
      change: (c) => ({
        ...c,
        auth: {
          ...c.auth,
          email: {
            from: 'parley@mail.example.org',
            verifiedDomain: 'mail.example.org',
            sesRegion: 'us-east-1',
            configurationSet: 'parley-dev',
          },
        },
      }),
    });
    const email = emailConfiguration(stage.templates.auth) ?? {};
    expect(email).toEqual({
      EmailSendingAccount: 'DEVELOPER',
      From: 'parley@mail.example.org',
      ConfigurationSet: 'parley-dev',
      SourceArn: 'arn:aws:ses:us-east-1:123456789012:identity/mail.example.org',
    });
    checkConstraints(email, 'eu-west-1');
  });
});
