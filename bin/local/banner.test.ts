import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';

import { formatBanner, otpauthUri, withoutCredentials, type BannerInput } from './banner';
import { settleWithin } from './dev-server';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const input: BannerInput = {
  url: 'http://127.0.0.1:3000',
  cognitoEndpoint: 'http://127.0.0.1:9229',
  userPoolId: 'local_abc123',
  databaseUrl: ['postgres://postgres', 's3cret-pw@127.0.0.1:54321/parley'].join(':'),
  embeddedDatabase: true,
  model: { kind: 'offline' },
};

const ESCAPE = '\u001b';

describe('the start banner', () => {
  it('prints one line per service with the address to use, and no escape code outside a terminal', async () => {
    const text = await formatBanner(input, { terminal: false });
    expect(text).toContain('Parley is running at http://127.0.0.1:3000');
    const row = (name: string) => text.split('\n').filter((line) => line.trimStart().startsWith(`${name} `));
    expect(row('Web app')).toEqual(['  Web app     http://127.0.0.1:3000']);
    expect(row('API')[0]).toContain('http://127.0.0.1:3000/api');
    // The endpoint the app and `npm run users` use, as in local.json: never the emulator's own port.
    expect(row('Cognito')[0]).toContain('http://127.0.0.1:9229');
    expect(row('PostgreSQL')[0]).toContain('postgres://127.0.0.1:54321/parley');
    expect(row('Cache')[0]).toContain('in memory');
    expect(row('Model')[0]).toContain('offline');
    expect(text).not.toContain(ESCAPE);
    expect(text).not.toContain('s3cret-pw');
  });

  it('names Valkey and the model when they are configured, without their credentials', async () => {
    const text = await formatBanner(
      {
        ...input,
        embeddedDatabase: false,
        redisUrl: ['rediss://default', 'cache-pw@cache.example:6380'].join(':'),
        model: { kind: 'openai', baseUrl: 'http://127.0.0.1:8080/v1', name: 'gpt-4o-mini' },
      },
      { terminal: false },
    );
    expect(text).toMatch(/Cache\s+rediss:\/\/cache\.example:6380/);
    expect(text).toMatch(/Model\s+gpt-4o-mini at http:\/\/127\.0\.0\.1:8080\/v1/);
    expect(text).toContain('from DATABASE_URL');
    expect(text).not.toContain('cache-pw');
  });

  it("names the model's address without the user and password a proxy's URL may hold", async () => {
    // Prepare
    const model = {
      kind: 'openai',
      baseUrl: ['https://team', 'proxy-pw@llm-proxy.example/v1'].join(':'),
      name: 'gpt-4o',
    } as const;

    // Act
    const text = await formatBanner({ ...input, model }, { terminal: false });

    // Assess
    expect(text).toMatch(/Model\s+gpt-4o at https:\/\/llm-proxy\.example\/v1\n/);
    expect(text).not.toContain('proxy-pw');
    expect(text).not.toContain('team');
  });

  it("shows the first admin's TOTP secret as an otpauth URI an authenticator accepts", async () => {
    const firstAdmin = { email: 'admin@parley.local', password: 'Pw-123456789aA!', totpSecret: SECRET };
    const text = await formatBanner({ ...input, firstAdmin }, { terminal: false });
    expect(text).toContain('First start: an admin was created');
    expect(text).toContain(`TOTP secret: ${SECRET}`);
    const uri = /TOTP URI:\s+(\S+)/.exec(text)?.[1] ?? '';
    const totp = OTPAuth.URI.parse(uri);
    expect(totp).toBeInstanceOf(OTPAuth.TOTP);
    expect(totp.issuer).toBe('Parley');
    expect(totp.label).toBe('admin@parley.local');
    expect(totp.secret.base32).toBe(SECRET);
    expect(text).not.toContain(ESCAPE);
  });

  it('shows a first admin without a TOTP secret with no TOTP lines', async () => {
    const firstAdmin = { email: 'admin@parley.local', password: 'Pw-123456789aA!' };
    const text = await formatBanner({ ...input, firstAdmin }, { terminal: true });
    expect(text).toContain('  password:    Pw-123456789aA!');
    expect(text).not.toContain('TOTP');
    expect(text).not.toContain(ESCAPE);
  });

  it('draws the URI as a QR code in a terminal', async () => {
    const firstAdmin = { email: 'admin@parley.local', password: 'Pw-123456789aA!', totpSecret: SECRET };
    const plain = await formatBanner({ ...input, firstAdmin }, { terminal: false });
    const drawn = await formatBanner({ ...input, firstAdmin }, { terminal: true });
    expect(drawn.length).toBeGreaterThan(plain.length + 500);
    expect(drawn).toMatch(/[▀▄█]/);
  });

  it('prints nothing of an address it cannot parse', () => {
    expect(withoutCredentials('not a url with password')).toBe('(not a URL)');
    expect(otpauthUri('a@b.c', SECRET)).toMatch(/^otpauth:\/\/totp\/Parley:a%40b\.c\?/);
  });
});

describe('stopping one part of the stack', () => {
  it('goes on when a part fails or hangs, and says what happened', async () => {
    expect(await settleWithin(Promise.resolve(), 50)).toBeUndefined();
    expect(await settleWithin(Promise.reject(new Error('connection refused')), 50)).toBe(
      'connection refused',
    );
    expect(await settleWithin(new Promise(() => undefined), 20)).toBe('gave up after 0.02 s');
  });
});
