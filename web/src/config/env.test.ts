import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '@/config/env';

const valid = {
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_AbC123',
  clientId: '4abc',
  apiUrl: '/api',
};

function answering(status: number, body: unknown): typeof fetch {
  return async () =>
    new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

describe('loadConfig', () => {
  it('returns the configuration when /config.json is valid', async () => {
    await expect(loadConfig(answering(200, valid))).resolves.toEqual(valid);
  });

  it('keeps the Cognito endpoint used locally', async () => {
    const local = { ...valid, userPoolId: 'local_3Hq0sEOf', cognitoEndpoint: 'http://127.0.0.1:9229' };
    await expect(loadConfig(answering(200, local))).resolves.toMatchObject({
      cognitoEndpoint: 'http://127.0.0.1:9229',
    });
  });

  it('names the field that is wrong', async () => {
    const error = await loadConfig(answering(200, { ...valid, apiUrl: 'not a url' })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('apiUrl');
  });

  it('refuses a user pool id that is not one', async () => {
    await expect(loadConfig(answering(200, { ...valid, userPoolId: 'nope' }))).rejects.toThrow(/userPoolId/);
  });

  it('reports the status when the file cannot be fetched', async () => {
    await expect(loadConfig(answering(404, {}))).rejects.toThrow(/404/);
  });
});
