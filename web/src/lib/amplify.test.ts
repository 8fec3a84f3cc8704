import { Amplify } from 'aws-amplify';
import { ConsoleLogger } from 'aws-amplify/utils';
import { describe, expect, it } from 'vitest';

import { configureAmplify } from '@/lib/amplify';

const config = { region: 'eu-west-1', userPoolId: 'eu-west-1_AbC123', clientId: '4abc', apiUrl: '/api' };

describe('configureAmplify', () => {
  it('points Amplify at the AWS user pool, with no custom endpoint', () => {
    configureAmplify(config);
    expect(Amplify.getConfig().Auth?.Cognito).toEqual({
      userPoolId: 'eu-west-1_AbC123',
      userPoolClientId: '4abc',
    });
  });

  it('points Amplify at the local Cognito endpoint, and leaves the log level as it was', () => {
    ConsoleLogger.LOG_LEVEL = 'WARN';
    configureAmplify({ ...config, userPoolId: 'local_Pool1', cognitoEndpoint: 'http://127.0.0.1:9229' });
    expect(Amplify.getConfig().Auth?.Cognito).toMatchObject({
      userPoolId: 'local_Pool1',
      userPoolEndpoint: 'http://127.0.0.1:9229',
    });
    expect(ConsoleLogger.LOG_LEVEL).toBe('WARN');
  });
});
