import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SynthesizedStage, synthesizeStage } from '../support';

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
