import { describe, expect, it } from 'vitest';
import { parseStartOptions } from '../../bin/local/start-options';

/**
 * `npm start` with a DATABASE_URL that is no PostgreSQL URL stops before it starts anything, with
 * a line that names the variable, as it does for its other settings (docs/troubleshooting.md),
 * not with what the driver makes of it (`Migrations could not run: getaddrinfo ENOTFOUND base`
 * for `notaurl`). The value is not shown: a connection string may hold a password.
 */
/** In a URL by name, as the secret scan asks of fixtures. */
const password = 'not-a-secret';
const PROBLEM =
  'DATABASE_URL must be a postgres:// URL, or unset for the embedded PostgreSQL (its value is not shown: it may hold a password)';

describe('npm start and DATABASE_URL', () => {
  it.each([
    ['notaurl'],
    ['127.0.0.1:5432/parley'],
    [`mysql://root:${password}@127.0.0.1/parley`],
    ['postgres//postgres@127.0.0.1/parley'],
    ['   '],
  ])('refuses %j, naming the variable and not its value', (value) => {
    // Act
    const parsed = parseStartOptions({ DATABASE_URL: value });

    // Assess
    expect(parsed).toEqual({ ok: false, problems: [PROBLEM] });
  });

  it.each([
    ['postgres://postgres@127.0.0.1:5432/parley'],
    [`postgresql://parley:${password}@db.internal/parley?sslmode=require`],
    // Empty is unset: the embedded PostgreSQL.
    [''],
  ])('takes %j', (value) => {
    expect(parseStartOptions({ DATABASE_URL: value }).ok).toBe(true);
  });

  it('reports it with the other bad settings, one line each', () => {
    const parsed = parseStartOptions({ DATABASE_URL: 'notaurl', PORT: 'abc' });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems).toEqual([
      'PORT must be a port number (1–65535, or 0 for any free port), got "abc"',
      PROBLEM,
    ]);
  });
});
