import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { newAdminCredentials, saveAdminCredentials } from './cognito-access';
import { main, parseCommand, UsageError } from './users-cli';

afterEach(() => vi.restoreAllMocks());

describe('parseCommand', () => {
  it('parses create with its options', () => {
    expect(
      parseCommand([
        'create',
        '--email',
        'ada@example.com',
        '--password',
        'Correct-Horse-42',
        '--role',
        'admins',
      ]),
    ).toEqual({
      command: 'create',
      args: { email: 'ada@example.com', password: 'Correct-Horse-42', role: 'admins' },
    });
  });

  it.each([
    [[], /Missing command/],
    [['delete'], /Unknown command "delete"/],
    [
      ['create', '--email', 'nope', '--password', 'x', '--role', 'members'],
      /--email: expected an e-mail address/,
    ],
    [
      ['create', '--email', 'a@b.co', '--password', 'x', '--role', 'root'],
      /--role: expected admins, members or auditors/,
    ],
    [['create', '--email', 'a@b.co', '--role', 'members'], /--password/],
    [['create', '--bogus'], /bogus/],
    [
      ['create', 'extra', '--email', 'a@b.co', '--password', 'x', '--role', 'members'],
      /Unexpected argument "extra"/,
    ],
    [['create', '--email'], /--email/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});

describe('main', () => {
  it('exits 2 with the usage on bad arguments', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await main(['create', '--email', 'nope'])).toBe(2);
    expect(error.mock.calls.join('\n')).toMatch(/Usage: npm run users -- create/);
  });

  it('exits 1 telling to run npm start when the local server is not running', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const cwd = mkdtempSync(join(tmpdir(), 'parley-users-'));
    const argv = ['create', '--email', 'a@b.co', '--password', 'Correct-Horse-42', '--role', 'members'];
    expect(await main(argv, cwd)).toBe(1);
    expect(error.mock.calls.join('\n')).toMatch(/npm start/);

    // A state file left by a server that has stopped.
    mkdirSync(join(cwd, '.parley'));
    writeFileSync(
      join(cwd, '.parley/local.json'),
      JSON.stringify({
        cognitoEndpoint: 'http://127.0.0.1:9',
        region: 'local',
        userPoolId: 'local_x',
        clientId: 'c',
        databaseUrl: 'postgres://x@127.0.0.1:9/x',
      }),
    );
    expect(await main(argv, cwd)).toBe(1);
    expect(error.mock.calls.at(-1)?.join(' ')).toMatch(/npm start/);
  });

  it('finds the running server through PARLEY_DATA_DIR, as npm start writes it', async () => {
    // Prepare: a state file in a data folder other than .parley.
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const cwd = mkdtempSync(join(tmpdir(), 'parley-users-'));
    mkdirSync(join(cwd, 'elsewhere'));
    writeFileSync(join(cwd, 'elsewhere/local.json'), JSON.stringify({ unexpected: true }));
    const argv = ['create', '--email', 'a@b.co', '--password', 'Correct-Horse-42', '--role', 'members'];

    // Act
    const code = await main(argv, cwd, 'elsewhere');

    // Assess: it read that file (and found it was not a server's state).
    expect(code).toBe(1);
    expect(error.mock.calls.at(-1)?.join(' ')).toMatch(
      /elsewhere\/local\.json is not what `npm start` writes/,
    );
  });
});

describe('main, with a local Cognito that answers', () => {
  let cognito: Server | undefined;
  afterEach(async () => {
    const open = cognito;
    cognito = undefined;
    if (open) await new Promise<void>((resolve) => open.close(() => resolve()));
  });

  /** A data folder whose local.json names a live Cognito endpoint (it answers /health only). */
  async function runningServerState(databaseUrl: string): Promise<string> {
    cognito = createServer((_req, res) => res.end('ok'));
    const listening = cognito;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const cwd = mkdtempSync(join(tmpdir(), 'parley-users-'));
    mkdirSync(join(cwd, '.parley'));
    writeFileSync(
      join(cwd, '.parley/local.json'),
      JSON.stringify({
        cognitoEndpoint: `http://127.0.0.1:${(listening.address() as AddressInfo).port}`,
        region: 'local',
        userPoolId: 'local_x',
        clientId: 'c',
        databaseUrl,
      }),
    );
    return cwd;
  }

  const argv = ['create', '--email', 'a@b.co', '--password', 'Correct-Horse-42', '--role', 'members'];

  it('exits 1 telling to run npm start when the server left no admin credentials', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const cwd = await runningServerState('postgres://x@127.0.0.1:9/x');
    expect(await main(argv, cwd)).toBe(1);
    expect(error.mock.calls.at(-1)?.join(' ')).toMatch(
      /^The local server is not running\. Start it with `npm start`/,
    );
  });

  it('exits 1 saying the user could not be created, and why, when the database is unreachable', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const cwd = await runningServerState(['postgres://nobody', 'db-secret@127.0.0.1:9/x'].join(':'));
    mkdirSync(join(cwd, '.parley/cognito'));
    saveAdminCredentials(join(cwd, '.parley/cognito'), newAdminCredentials());
    expect(await main(argv, cwd)).toBe(1);
    const message = error.mock.calls.at(-1)?.join(' ') ?? '';
    expect(message).toMatch(/^Could not create the user: .*ECONNREFUSED/);
    expect(message).not.toContain('db-secret');
  });
});
