import { describe, expect, it, vi } from 'vitest';

import type { BannerInput } from './banner';
import type { DevServer, DevServerOptions } from './dev-server';
import { npmStart, type NpmStartIo } from './npm-start';

const banner: BannerInput = {
  url: 'http://127.0.0.1:3000',
  cognitoEndpoint: 'http://127.0.0.1:9229',
  userPoolId: 'local_Pool1',
  databaseUrl: 'postgres://postgres:pw@127.0.0.1:5432/parley',
  embeddedDatabase: true,
  model: { kind: 'offline' },
};

/** A console, exit and signal table that record what `npm start` did. */
function recordingIo() {
  const listeners = new Map<string, () => void>();
  const said: string[] = [];
  const exits: number[] = [];
  const io: NpmStartIo = {
    out: (text) => said.push(`out: ${text}`),
    err: (text) => said.push(`err: ${text}`),
    terminal: false,
    exit: (code) => void exits.push(code),
    onSignal: (signal, listener) => listeners.set(signal, listener),
  };
  return { io, said, exits, listeners };
}

/** A started local server that counts its stops. */
function fakeServer() {
  let releaseStop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (releaseStop = resolve));
  const stop = vi.fn(() => stopped);
  return { server: { banner, stop } as unknown as DevServer, stop, releaseStop };
}

describe('npm start', () => {
  it('starts with the ports, data folder and idle sign-out from the environment and prints the banner', async () => {
    const { io, said, exits, listeners } = recordingIo();
    const start = vi.fn(async (_options: DevServerOptions) => fakeServer().server);

    await npmStart(
      { PORT: '0', COGNITO_PORT: '9339', PARLEY_DATA_DIR: 'elsewhere', IDLE_SIGN_OUT_MINUTES: '5' },
      io,
      start,
    );

    expect(start).toHaveBeenCalledWith({
      port: 0,
      cognitoPort: 9339,
      dataDir: 'elsewhere',
      retention: true,
      idleSignOutMinutes: 5,
      signal: expect.any(AbortSignal),
    });
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('out: \nParley is running at http://127.0.0.1:3000  (Ctrl-C to stop)');
    expect(exits).toEqual([]);
    expect([...listeners.keys()]).toEqual(['SIGINT', 'SIGTERM']);
  });

  it('exits 1 with one line per bad setting, starting nothing', async () => {
    const { io, said, exits } = recordingIo();
    const start = vi.fn();

    await npmStart({ PORT: 'eighty', COGNITO_PORT: '70000' }, io, start);

    expect(said).toEqual([
      'err: PORT must be a port number (1–65535, or 0 for any free port), got "eighty"',
      'err: COGNITO_PORT must be a port number (1–65535, or 0 for any free port), got "70000"',
    ]);
    expect(exits).toEqual([1]);
    expect(start).not.toHaveBeenCalled();
  });

  it.each([
    [
      new Error('Parley is already running from .parley (pid 42); stop it first'),
      'Parley is already running from .parley (pid 42); stop it first',
    ],
    ['listen EADDRINUSE', 'listen EADDRINUSE'],
  ])('exits 1 saying why when the server does not start (%s)', async (failure, reason) => {
    const { io, said, exits } = recordingIo();

    await npmStart({}, io, () => Promise.reject(failure));

    expect(said).toEqual([`err: Parley did not start: ${reason}`]);
    expect(exits).toEqual([1]);
  });

  it('stops everything once on Ctrl-C, ignores a second signal meanwhile, then exits 0', async () => {
    const { io, said, exits, listeners } = recordingIo();
    const { server, stop, releaseStop } = fakeServer();
    await npmStart({}, io, async () => server);
    said.length = 0;

    listeners.get('SIGINT')?.();
    listeners.get('SIGTERM')?.();
    expect(said).toEqual(['out: \nSIGINT: stopping…']);
    expect(exits).toEqual([]); // not before everything has stopped
    releaseStop();
    await vi.waitFor(() => expect(exits).toEqual([0]));

    expect(stop).toHaveBeenCalledTimes(1);
    expect(said).toEqual(['out: \nSIGINT: stopping…', 'out: Stopped cleanly.']);
  });

  it('hears a signal while starting: the start is cancelled, stops what it had started, and npm start exits 0', async () => {
    // Prepare: a start that goes on until it is cancelled, then stops its parts and rejects.
    const { io, said, exits, listeners } = recordingIo();
    const stoppedParts: string[] = [];
    let cancelled: unknown;
    const start = (options: DevServerOptions) =>
      new Promise<DevServer>((_resolve, reject) => {
        options.signal?.addEventListener('abort', () => {
          cancelled = options.signal?.reason;
          stoppedParts.push('cognito', 'postgres');
          reject(options.signal?.reason);
        });
      });
    const running = npmStart({}, io, start);
    expect([...listeners.keys()]).toEqual(['SIGINT', 'SIGTERM']);

    // Act
    listeners.get('SIGTERM')?.();
    await running;

    // Assess
    await vi.waitFor(() => expect(exits).toEqual([0]));
    expect(cancelled).toEqual(new Error('SIGTERM during start-up'));
    expect(stoppedParts).toEqual(['cognito', 'postgres']);
    expect(said).toEqual(['out: \nSIGTERM: stopping…', 'out: Stopped cleanly.']);
  });

  it('stops a server whose start ended as the signal came, without printing its banner', async () => {
    // Prepare: a start that finishes although it was cancelled (its last step was under way).
    const { io, said, exits, listeners } = recordingIo();
    const { server, stop, releaseStop } = fakeServer();
    releaseStop();
    let finish: (server: DevServer) => void = () => undefined;
    const running = npmStart({}, io, () => new Promise<DevServer>((resolve) => (finish = resolve)));

    // Act
    listeners.get('SIGINT')?.();
    finish(server);
    await running;

    // Assess
    await vi.waitFor(() => expect(exits).toEqual([0]));
    expect(stop).toHaveBeenCalledTimes(1);
    expect(said).toEqual(['out: \nSIGINT: stopping…', 'out: Stopped cleanly.']);
  });

  it('stops the same way on SIGTERM', async () => {
    const { io, said, exits, listeners } = recordingIo();
    const { server, releaseStop } = fakeServer();
    await npmStart({}, io, async () => server);
    releaseStop();

    listeners.get('SIGTERM')?.();

    await vi.waitFor(() => expect(exits).toEqual([0]));
    expect(said.slice(1)).toEqual(['out: \nSIGTERM: stopping…', 'out: Stopped cleanly.']);
  });
});
