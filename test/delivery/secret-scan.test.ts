import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * .ci/secret-scan, run as `npm run check` runs it, in a git repository of its own (nothing of
 * ours but the script): each credential form fails it, lookalikes do not.
 */
const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');

// Assembled from parts so that this file is not itself a finding of the scan it tests.
const part = (...parts: string[]) => parts.join('');
/** AWS's documented example secret access key: 40 letters, digits and slashes. */
const SECRET_KEY = part('wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYEXAMPLEKEY');
const SECRET_NAME = part('AWS_SECRET', '_ACCESS_KEY');

let repo = '';
beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), 'parley-secret-scan-'));
  await run('git', ['init', '-q'], { cwd: repo });
  await mkdir(join(repo, '.ci'));
  await copyFile(join(ROOT, '.ci/secret-scan'), join(repo, '.ci/secret-scan'));
  await writeFile(join(repo, '.gitignore'), '.env\n');
  await run('git', ['add', '.ci/secret-scan', '.gitignore'], { cwd: repo });
});
afterEach(() => rm(repo, { recursive: true, force: true }));

/** Writes a file, adds it to the index unless `untracked`, and runs the scan: its exit code. */
async function scan(file: string, content: string, untracked = false): Promise<number> {
  await writeFile(join(repo, file), `${content}\n`);
  if (!untracked) await run('git', ['add', file], { cwd: repo });
  return run('bash', ['.ci/secret-scan'], { cwd: repo }).then(
    () => 0,
    (error: { code?: number }) => error.code ?? -1,
  );
}

describe('the secret scan', () => {
  it.each([
    ['an exported secret access key', 'deploy.sh', `export ${SECRET_NAME}=${SECRET_KEY}`],
    ['a secret access key in .env form', 'settings.env', `${SECRET_NAME}="${SECRET_KEY}"`],
    ['a secret access key in YAML', 'config.yml', `${SECRET_NAME.toLowerCase()}: ${SECRET_KEY}`],
    ['a secret access key in JSON', 'config.json', `{ "${SECRET_NAME}": "${SECRET_KEY}" }`],
    ['a secret access key in code', 'env.ts', `const env = { ${SECRET_NAME}: '${SECRET_KEY}' };`],
    ['a mixed-case name', 'notes.txt', `Aws_Secret_Access_Key = ${SECRET_KEY}`],
    ['the shared credentials file', 'credentials', part('[default]\naws_secret_access_key', ' = anything')],
    ['an access key id', 'id.txt', part('AKIA', 'IOSFODNN7EXAMPLE')],
    ['a temporary access key id', 'id.txt', part('ASIA', 'IOSFODNN7EXAMPLE')],
    ['an OpenAI key', 'openai.env.example', `OPENAI_API_KEY=${part('sk-', 'proj-abcdefghijklmnopqrstuv')}`],
    ['a private key', 'key.pem', part('-----BEGIN RSA ', 'PRIVATE KEY-----')],
    ['a password in a connection string', 'db.txt', part('postgres', '://app:hunter2@db:5432/app')],
    // The letter s in the user or password: a bracket in the pattern must not read \s as "s".
    ['a user and password with an s in them', 'db.txt', part('postgres', '://svc:supersecret@db:5432/app')],
    [
      'a postgresql:// URL with an s',
      '.env.example',
      part('DATABASE_URL=postgresql', '://parley:s3cret@db/parley'),
    ],
    ['a password with a $ in it', 'db.txt', part('postgres', '://app:pa$$word@db/app')],
    ['a cache password alone', 'cache.env', part('REDIS_URL=redis', '://:cache-pass@cache:6379')],
    [
      'a cache user and password over TLS',
      'cache.ts',
      part("url: 'rediss", "://default:cache-pw@cache:6380'"),
    ],
    [
      'a password in a proxy URL',
      'llm.env',
      part('OPENAI_BASE_URL=https', '://team:proxy-pw@llm.example/v1'),
    ],
  ])('fails on %s', async (_form, file, content) => {
    // Act
    const code = await scan(file, content);

    // Assess
    expect(code).toBe(1);
  });

  it.each([
    ['code that reads the variable', 'creds.ts', `process.env.${SECRET_NAME} = credentials.secretAccessKey;`],
    ['a test value that is not key-shaped', 'creds.test.ts', `const env = { ${SECRET_NAME}: 'secret' };`],
    ['a value longer than a key', 'bench.ts', `${SECRET_NAME}: '${SECRET_KEY}XY'`],
    ['a reference to a stored secret', 'deploy.yml', `${SECRET_NAME}: \${{ secrets.KEY }}`],
    [
      'prefixes in the other case',
      'ids.txt',
      `${part('SK-', 'ABCDEFGHIJKLMNOPQRSTUVWX')} ${part('akia', 'iosfodnn7example')}`,
    ],
    ['a connection string without a password', 'db.txt', 'postgres://postgres@127.0.0.1:5432/test'],
    // Not a password: the @ comes after whitespace, which no password in a URL holds.
    [
      'a host and port, then prose with an @',
      'notes.md',
      'postgres://db:5432/app, page the on-call team@example.com',
    ],
    ['a placeholder for the password', 'cache.ts', 'const url = `redis://:${password}@${host}`;'],
    [
      'a placeholder for the database password',
      '.env.example',
      'DATABASE_URL=postgres://app:${DB_PASSWORD}@db/app',
    ],
    ['the form of a URL, in prose', 'cache.md', '`redis://[[user]:password@]host[:port][/db]`'],
    ['an @ in the path of a URL with a port', 'links.md', 'http://127.0.0.1:8080/v1/users/@me'],
  ])('passes %s', async (_form, file, content) => {
    // Act
    const code = await scan(file, content);

    // Assess
    expect(code).toBe(0);
  });

  it('reads a new file before it is added to git, but not one .gitignore excludes', async () => {
    // Prepare
    const secret = `${SECRET_NAME}=${SECRET_KEY}`;

    // Act
    const ignored = await scan('.env', secret, true);
    const untracked = await scan('new-script.sh', secret, true);

    // Assess
    expect(ignored).toBe(0);
    expect(untracked).toBe(1);
  });
});
