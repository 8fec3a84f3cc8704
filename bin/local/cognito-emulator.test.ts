import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { stopChild, waitForHealth, writeEmulatorConfig } from './cognito-emulator';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0).reverse()) await undo();
});

/** A Node child process running `code`, stopped after the test. */
function child(code: string) {
  const process_ = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  cleanup.push(() => {
    process_.kill('SIGKILL');
  });
  return process_;
}

/** A loopback server answering /health with `statuses` in turn (the last one after that). */
async function healthServer(statuses: number[]): Promise<{ url: string; asked: () => number }> {
  let asked = 0;
  const server: Server = createServer((_req, res) => {
    res.statusCode = statuses[Math.min(asked, statuses.length - 1)] ?? 200;
    asked++;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked: () => asked };
}

/** A loopback URL nobody listens on. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('waiting for cognito-local to start', () => {
  it('waits while it answers /health with an error, until it is healthy', async () => {
    const health = await healthServer([503, 503, 200]);
    await expect(waitForHealth(health.url, child('setInterval(() => {}, 1000)'))).resolves.toBeUndefined();
    expect(health.asked()).toBe(3);
  });

  it('gives up at once, with the exit code, when it exits while starting', async () => {
    const exiting = child('process.exit(3)');
    await expect(waitForHealth(await deadUrl(), exiting)).rejects.toThrow(
      /^cognito-local exited \(code 3\) while starting:/,
    );
  });

  it('reports a start killed by a signal as code -1', async () => {
    const killed = child('setInterval(() => {}, 1000)');
    killed.kill('SIGKILL');
    await expect(waitForHealth(await deadUrl(), killed)).rejects.toThrow(
      /^cognito-local exited \(code -1\) while starting:/,
    );
  });
});

describe('stopping cognito-local', () => {
  it('stops a running process, and is done at once for one that has already exited', async () => {
    const running = child('setInterval(() => {}, 1000)');
    await new Promise((resolve) => running.once('spawn', resolve));
    await stopChild(running);
    expect(running.signalCode).toBe('SIGTERM');
    await expect(stopChild(running)).resolves.toBeUndefined();

    const exited = child('process.exit(0)');
    await new Promise((resolve) => exited.once('exit', resolve));
    await expect(stopChild(exited)).resolves.toBeUndefined();
  });
});

describe("cognito-local's configuration", () => {
  it('listens on loopback only, issues tokens for the proxy, and calls our trigger endpoint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-emulator-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    writeEmulatorConfig(dir, {
      port: 9230,
      lambdaEndpoint: 'http://127.0.0.1:9231',
      issuerDomain: 'http://127.0.0.1:9229',
    });
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toMatchObject({
      LambdaClient: { endpoint: 'http://127.0.0.1:9231' },
      TriggerFunctions: {
        PostAuthentication: 'PostAuthentication',
        PostConfirmation: 'PostConfirmation',
        PreTokenGeneration: 'PreTokenGeneration',
      },
      TokenConfig: { IssuerDomain: 'http://127.0.0.1:9229' },
      ServerConfig: { port: 9230, hostname: '127.0.0.1', https: false },
    });
  });
});
