import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import type { TriggerName } from './cognito-api';

/** The cognito-local process: its configuration, start-up, log and stop. */

/** cognito-local reports this region in its ARNs; pool ids are `local_…`. */
export const REGION = 'local';
/** Any credentials do: the emulator checks none. */
export const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
/** Triggers cognito-local calls itself; PreAuthentication it never calls, the proxy does. */
export const EMULATOR_TRIGGERS: readonly TriggerName[] = [
  'PostAuthentication',
  'PostConfirmation',
  'PreTokenGeneration',
];
const STARTUP_TIMEOUT_MS = 30_000;

export interface EmulatorConfig {
  /** The emulator's own port on 127.0.0.1. */
  readonly port: number;
  /** The Lambda endpoint it invokes the triggers through. */
  readonly lambdaEndpoint: string;
  /** The proxy's URL, which the tokens' `iss` must name. */
  readonly issuerDomain: string;
}

/** Writes `.cognito/config.json`, which cognito-local reads from its working folder. */
export function writeEmulatorConfig(cognitoDir: string, config: EmulatorConfig): void {
  writeFileSync(
    join(cognitoDir, 'config.json'),
    JSON.stringify(
      {
        LambdaClient: { endpoint: config.lambdaEndpoint, region: REGION, credentials },
        TriggerFunctions: Object.fromEntries(EMULATOR_TRIGGERS.map((name) => [name, name])),
        UserPoolDefaults: { UsernameAttributes: ['email'] },
        // Without it `iss` is http://localhost:9229/<pool> whatever port anything runs on.
        TokenConfig: { IssuerDomain: config.issuerDomain },
        ServerConfig: { port: config.port, hostname: '127.0.0.1', https: false, development: false },
      },
      null,
      2,
    ),
  );
}

export function startEmulator(dataDir: string, port: number, quiet: boolean): ChildProcess {
  const require = createRequire(import.meta.url);
  const script = require.resolve('cognito-local/lib/bin/start.js');
  // The emulator exits when our end of its stdin closes: also when we die without cleaning up.
  const watchdog = `data:text/javascript,${encodeURIComponent(
    "process.stdin.on('end',()=>process.exit(0)).on('error',()=>process.exit(0)).resume()",
  )}`;
  const child = spawn(process.execPath, [`--import=${watchdog}`, script], {
    cwd: dataDir,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DEBUG: '',
      NODE_OPTIONS: '',
      // The emulator is built on the AWS SDK v2, which prints an end-of-support notice at start.
      AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
      NODE_NO_WARNINGS: '1',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (prefix: string) => (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail.push(text);
    if (tail.length > 50) tail.shift();
    if (!quiet) process.stdout.write(text.replace(/^(?=.)/gm, prefix));
  };
  child.stdout?.on('data', keep('[cognito] '));
  child.stderr?.on('data', keep('[cognito] '));
  (child as ChildProcess & { logTail: () => string }).logTail = () => tail.join('');
  return child;
}

export async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  const tail = () => (child as ChildProcess & { logTail?: () => string }).logTail?.() ?? '';
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`cognito-local exited (code ${exited}) while starting:\n${tail()}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `cognito-local did not answer ${url}/health within ${STARTUP_TIMEOUT_MS / 1000} s:\n${tail()}`,
  );
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}
