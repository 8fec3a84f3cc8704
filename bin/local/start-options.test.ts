import { describe, expect, it } from 'vitest';
import { parseStartOptions } from './start-options';

describe('parseStartOptions', () => {
  it('defaults to port 3000, Cognito on 9229 and the .parley folder, with the retention run on', () => {
    expect(parseStartOptions({})).toEqual({
      ok: true,
      options: { port: 3000, cognitoPort: 9229, dataDir: '.parley', retention: true },
    });
  });

  it('takes the ports and folder given, 0 meaning any free port', () => {
    expect(parseStartOptions({ PORT: '0', COGNITO_PORT: '9300', PARLEY_DATA_DIR: '/srv/parley' })).toEqual({
      ok: true,
      options: { port: 0, cognitoPort: 9300, dataDir: '/srv/parley', retention: true },
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

  it('reports every bad variable at once', () => {
    const result = parseStartOptions({ PORT: 'x', COGNITO_PORT: 'y' });

    expect(result.ok ? [] : result.problems.map((p) => p.split(' ')[0])).toEqual(['PORT', 'COGNITO_PORT']);
  });
});
