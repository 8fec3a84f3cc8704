import { describe, expect, it } from 'vitest';

import { signInAuthFlow } from '@/config/auth-flow';

describe('signInAuthFlow', () => {
  it('uses SRP on AWS, where the config names no Cognito endpoint', () => {
    expect(signInAuthFlow({})).toBe('USER_SRP_AUTH');
    expect(signInAuthFlow({ cognitoEndpoint: null })).toBe('USER_SRP_AUTH');
  });

  it('sends the password locally, where the Cognito emulator has no SRP', () => {
    expect(signInAuthFlow({ cognitoEndpoint: 'http://127.0.0.1:9229' })).toBe('USER_PASSWORD_AUTH');
  });
});
