import { describe, expect, it, vi } from 'vitest';

import { ConfigError, parseConfig } from '../../shared/config';
import { createChatModel } from './chat-model-factory';

const env = {
  STAGE: 'test',
  COGNITO_USER_POOL_ID: 'eu-west-1_AbC123',
  COGNITO_CLIENT_IDS: 'spa-client',
  WEB_ORIGIN: 'https://chat.example.com',
  DB_DRIVER: 'pg',
  DATABASE_URL: 'postgres://parley@127.0.0.1:5432/parley',
};

describe('createChatModel', () => {
  it('is the offline model when no key is configured', () => {
    const model = createChatModel(parseConfig(env));

    expect(model.kind).toBe('offline');
    expect(model.models).toEqual(['offline']);
    expect(model.circuitState).toBeUndefined();
  });

  it('streams with the configured offline delay', async () => {
    // Prepare
    const sleep = vi.fn(async () => {});
    const model = createChatModel(parseConfig({ ...env, OFFLINE_MODEL_DELAY_MS: '3' }), { sleep });

    // Act
    for await (const _event of model.stream({
      model: 'offline',
      messages: [{ role: 'user', content: 'hi' }],
    })) {
      // drain
    }

    // Assess
    expect(sleep).toHaveBeenCalledWith(3, undefined);
  });

  it('gives the offline model CHAT_MAX_REPLY_TOKENS as its length limit', async () => {
    const model = createChatModel(
      parseConfig({ ...env, OFFLINE_MODEL_DELAY_MS: '0', CHAT_MAX_REPLY_TOKENS: '5' }),
    );

    const events = [];
    for await (const event of model.stream({ model: 'offline', messages: [{ role: 'user', content: 'hi' }] }))
      events.push(event);

    expect(events.at(-1)).toMatchObject({ type: 'usage', completionTokens: 5, truncated: true });
  });

  it('refuses to start without a key in a Lambda bundle, which has no offline model, naming OPENAI_SECRET_ARN', () => {
    vi.stubEnv('PARLEY_BUNDLE', 'lambda');
    try {
      expect(() => createChatModel(parseConfig(env))).toThrow(ConfigError);
      expect(() => createChatModel(parseConfig(env))).toThrow(/OPENAI_SECRET_ARN: is required/);
      // With its key it is the OpenAI model, as anywhere.
      expect(createChatModel(parseConfig({ ...env, OPENAI_API_KEY: 'sk-test' })).kind).toBe('openai');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('is the OpenAI model with the configured allow-list when OPENAI_API_KEY is set', () => {
    const model = createChatModel(
      parseConfig({ ...env, OPENAI_API_KEY: 'sk-test', OPENAI_MODELS: 'gpt-4o-mini,gpt-4.1' }),
    );

    expect(model.kind).toBe('openai');
    expect(model.models).toEqual(['gpt-4o-mini', 'gpt-4.1']);
    expect(model.circuitState?.()).toBe('closed');
  });

  it('warns once of offered models whose cost usage reports cannot estimate', () => {
    const logger = { warn: vi.fn(), info: vi.fn() };
    createChatModel(
      parseConfig({
        ...env,
        OPENAI_API_KEY: 'sk-test',
        OPENAI_MODELS: 'gpt-4o-mini,gpt-4o-2024-08-06,o3-pro',
      }),
      { logger },
    );
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(
      'models without a price: usage reports estimate no cost for them',
      {
        models: ['o3-pro'],
      },
    );

    const priced = { warn: vi.fn(), info: vi.fn() };
    createChatModel(parseConfig({ ...env, OPENAI_API_KEY: 'sk-test', OPENAI_MODELS: 'gpt-4o-mini' }), {
      logger: priced,
    });
    expect(priced.warn).not.toHaveBeenCalled();
  });

  it('is the OpenAI model, without reading the secret yet, when OPENAI_SECRET_ARN is set', () => {
    // Prepare
    const secretsManager = vi.fn();

    // Act
    const model = createChatModel(
      parseConfig({
        ...env,
        OPENAI_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:openai',
      }),
      { secretsManager },
    );

    // Assess
    expect(model.kind).toBe('openai');
    expect(model.models).toEqual(['gpt-4o-mini']);
    expect(secretsManager).not.toHaveBeenCalled();
  });
});
