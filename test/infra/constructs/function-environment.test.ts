import { beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../functions/shared/config';
import { ourFunctions, resolvedEnvironment, type SynthesizedStage, synthesizeStage } from '../support';

let dev: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
});

describe('functions', () => {
  const ours = () => ourFunctions(dev);

  it('sets the environment every function parses with the shared config schema', () => {
    for (const f of ours()) {
      const variables = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
      const env = resolvedEnvironment(variables);
      const parsed = configSchema.safeParse(env);
      expect(parsed.error?.issues ?? [], f.id).toEqual([]);
      expect(env, f.id).toMatchObject({
        STAGE: 'dev',
        DB_DRIVER: 'data-api',
        DB_NAME: 'parley',
        POWERTOOLS_METRICS_NAMESPACE: 'Parley',
        LOG_LEVEL: 'DEBUG',
        WEB_ORIGIN: expect.stringMatching(/^https:\/\//) as unknown as string,
      });
      for (const key of [
        'POWERTOOLS_SERVICE_NAME',
        'OPENAI_MODEL',
        'OPENAI_SECRET_ARN',
        'COGNITO_CLIENT_IDS',
      ]) {
        expect(env[key], `${f.id} ${key}`).toBeTruthy();
      }
    }
  });

  it("gives the API functions each role's default monthly tokens from the stage config", () => {
    const api = ourFunctions(dev).filter((f) => {
      const variables = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
      return ['chat', 'users', 'admin'].includes(String(variables.POWERTOOLS_SERVICE_NAME));
    });
    expect(api).toHaveLength(3);
    for (const f of api) {
      const variables = (f.props.Environment as { Variables: Record<string, unknown> }).Variables;
      const env = resolvedEnvironment(variables);
      expect(env, f.id).toMatchObject({ CHAT_QUOTA_MEMBERS: '200000', CHAT_QUOTA_ADMINS: '1000000' });
    }
  });
});
