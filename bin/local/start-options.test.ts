import { describe, expect, it } from 'vitest';
import { parseStartOptions } from './start-options';

describe('parseStartOptions', () => {
  it('defaults to port 3000, Cognito on 9229 and the .parley folder, with the retention run on', () => {
    expect(parseStartOptions({})).toEqual({
      ok: true,
      options: { port: 3000, cognitoPort: 9229, dataDir: '.parley', retention: true, idleSignOutMinutes: 30 },
    });
  });

  it('takes the ports and folder given, 0 meaning any free port', () => {
    expect(parseStartOptions({ PORT: '0', COGNITO_PORT: '9300', PARLEY_DATA_DIR: '/srv/parley' })).toEqual({
      ok: true,
      options: {
        port: 0,
        cognitoPort: 9300,
        dataDir: '/srv/parley',
        retention: true,
        idleSignOutMinutes: 30,
      },
    });
  });

  it.each([
    ['abc', 'PORT must be a port number (1–65535, or 0 for any free port), got "abc"'],
    ['70000', 'PORT must be a port number (1–65535, or 0 for any free port), got "70000"'],
    ['-1', 'PORT must be a port number (1–65535, or 0 for any free port), got "-1"'],
    ['80.5', 'PORT must be a port number (1–65535, or 0 for any free port), got "80.5"'],
  ])('names the variable, the value and what is expected for PORT=%s', (value, message) => {
    expect(parseStartOptions({ PORT: value })).toEqual({ ok: false, problems: [message] });
  });

  it('takes IDLE_SIGN_OUT_MINUTES: 0 for never, or 5 to 720 whole minutes', () => {
    for (const [raw, minutes] of [
      ['0', 0],
      ['5', 5],
      ['720', 720],
      [' ', 30],
    ] as const) {
      const result = parseStartOptions({ IDLE_SIGN_OUT_MINUTES: raw });
      expect(result.ok && result.options.idleSignOutMinutes).toBe(minutes);
    }
    for (const raw of ['4', '721', '7.5', '-5', 'soon'])
      expect(parseStartOptions({ IDLE_SIGN_OUT_MINUTES: raw })).toEqual({
        ok: false,
        problems: [
          `IDLE_SIGN_OUT_MINUTES must be 0 (never) or whole minutes from 5 to 720, got ${JSON.stringify(raw)}`,
        ],
      });
  });

  it('reports every bad variable at once', () => {
    const result = parseStartOptions({ PORT: 'x', COGNITO_PORT: 'y' });

    expect(result.ok ? [] : result.problems.map((p) => p.split(' ')[0])).toEqual(['PORT', 'COGNITO_PORT']);
  });
});
