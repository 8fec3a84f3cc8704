import { connect as connectTcp, isIP, type Socket } from 'node:net';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { encodeCommand, RespError, RespParser, type RespReply } from './resp-parser';

/** Where and how to reach a Redis/Valkey server, as a `redis://` or `rediss://` URL says it. */
export interface RespEndpoint {
  readonly host: string;
  readonly port: number;
  /** `rediss://`: TLS (ElastiCache Serverless accepts nothing else). */
  readonly tls: boolean;
  readonly username?: string;
  readonly password?: string;
  /** The database index (`/2`); 0, the default, sends no SELECT (ElastiCache Serverless has no other). */
  readonly db: number;
}

/**
 * `redis://[[user]:password@]host[:port][/db]` and `rediss://…` (TLS). User and password are
 * percent-decoded. Throws on anything else, naming what is wrong (never the password).
 */
export function parseRedisUrl(url: string): RespEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('cache URL is not a URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new Error(`cache URL scheme must be redis: or rediss:, not ${parsed.protocol}`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new Error('cache URL has no host');
  const port = parsed.port ? Number(parsed.port) : 6379;
  const path = parsed.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,5}$/.test(path))
    throw new Error('cache URL database must be a number (/0, /1…)');
  const username = parsed.username ? decodeURIComponent(parsed.username) : undefined;
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  if (username && password === undefined) throw new Error('cache URL has a user but no password');
  return {
    host,
    port,
    tls: parsed.protocol === 'rediss:',
    ...(username ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    db: path === '' ? 0 : Number(path),
  };
}

export interface RespClientOptions {
  readonly endpoint: RespEndpoint;
  /**
   * Credentials for each new connection, replacing the endpoint's (an IAM token that expires):
   * called before every connect.
   */
  readonly credentials?: () => Promise<{ readonly username?: string; readonly password: string }>;
  /** TCP (and TLS) connection ceiling. */
  readonly connectTimeoutMs?: number;
  /** Ceiling from a command's write to its reply. */
  readonly commandTimeoutMs?: number;
  /** Extra TLS settings (a private CA in tests); the server name is the host's. */
  readonly tls?: Pick<TlsOptions, 'ca' | 'rejectUnauthorized'>;
  /** Wait before the next connection attempt after `failures` failed ones in a row. */
  readonly backoffMs?: (failures: number) => number;
}

type Command = readonly (string | number)[];

/** A request on the wire: one command, or several written together (MULTI … EXEC). */
interface Pending {
  readonly expected: number;
  readonly replies: RespReply[];
  readonly resolve: (replies: RespReply[]) => void;
  readonly reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

/** Why a connection ended, for the next attempt's wait. */
type Ending = 'closed' | 'stalled';

/**
 * One socket to the server, its parser and the requests waiting for replies. RESP answers in
 * order, so replies go to the oldest request: every caller shares the socket (pipelining).
 */
class Connection {
  private readonly parser = new RespParser();
  private readonly pending: Pending[] = [];
  /** Why the connection ended (set once, when it ends). */
  private endedWith: Error | undefined;
  /** The socket's first error, which its close then reports. */
  private socketError: Error | undefined;
  /** Whether writes are being held for this turn of the event loop (`coalesceWrites`). */
  private corked = false;
  /** Resolves when the socket has closed. */
  readonly done: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly commandTimeoutMs: number,
    private readonly onEnd: (connection: Connection, ending: Ending) => void,
    private readonly onReply: () => void,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    // Every socket error ends here and on the requests it fails: never an unhandled 'error'.
    socket.on('error', (error) => {
      this.socketError ??= error;
    });
    this.done = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.once('close', () =>
      this.end(this.socketError ?? new Error('cache connection closed by the server'), 'closed'),
    );
    socket.unref();
  }

  get open(): boolean {
    return !this.endedWith;
  }

  /** Writes the commands together and resolves with their replies (errors among them as values). */
  request(commands: readonly Command[]): Promise<RespReply[]> {
    if (this.endedWith) return Promise.reject(this.endedWith);
    return new Promise((resolve, reject) => {
      const pending: Pending = { expected: commands.length, replies: [], resolve, reject };
      pending.timer = setTimeout(() => {
        // Replies come in order: no reply to this one means none to the requests behind it.
        // The connection is stalled; drop it, and the next command opens a new one.
        this.end(new Error(`cache command timed out after ${this.commandTimeoutMs} ms`), 'stalled');
      }, this.commandTimeoutMs);
      this.pending.push(pending);
      this.socket.ref();
      this.coalesceWrites();
      this.socket.write(
        commands.length === 1
          ? encodeCommand(commands[0] as Command) // the one command there is
          : Buffer.concat(commands.map(encodeCommand)),
      );
    });
  }

  /**
   * Holds this turn of the event loop's writes and sends them together once its I/O callbacks
   * have run: requests that arrive together (a server under load) share one system call, and the
   * server reads and answers them in one go. A lone request waits for nothing but the end of the
   * callbacks already running.
   */
  private coalesceWrites(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    setImmediate(() => {
      this.corked = false;
      this.socket.uncork();
    });
  }

  /** Ends the connection: every waiting request fails with `error`. */
  end(error: Error, ending: Ending): void {
    if (this.endedWith) return;
    this.endedWith = error;
    this.socket.destroy();
    for (const pending of this.pending.splice(0)) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.onEnd(this, ending);
  }

  private receive(chunk: Buffer): void {
    let replies: RespReply[];
    try {
      replies = this.parser.feed(chunk);
    } catch (error) {
      this.end(error as Error, 'closed');
      return;
    }
    for (const reply of replies) {
      const pending = this.pending[0];
      if (!pending) {
        this.end(new Error('cache server sent a reply nobody asked for'), 'closed');
        return;
      }
      pending.replies.push(reply);
      if (pending.replies.length < pending.expected) continue;
      this.pending.shift();
      clearTimeout(pending.timer);
      pending.resolve(pending.replies);
    }
    if (replies.length > 0) this.onReply();
    if (this.pending.length === 0 && !this.endedWith) this.socket.unref();
  }
}

const defaultBackoff = (failures: number) => Math.min(failures * 200, 2000);

/**
 * A small Redis/Valkey client for the cache: one connection shared by every caller, opened on the
 * first command, and tuned to fail fast. No offline queue: while the server is unreachable a
 * command fails at once, or after the one connection attempt it starts when the wait since the
 * last failure (200 ms, then 400 ms… up to 2 s) is over. A command with no reply within the
 * command timeout fails, and drops the connection (replies come in order, so it is stalled). An
 * idle connection does not keep the process alive.
 */
export class RespClient {
  private connection: Connection | undefined;
  private connecting: Promise<Connection> | undefined;
  private opening: Socket | undefined;
  private handshaking: Connection | undefined;
  private closed = false;
  private failures = 0;
  /** The last failure to connect (or stalled connection), and when the next attempt may start. */
  private lastFailure: { readonly error: Error; readonly retryAt: number } | undefined;
  private readonly connectTimeoutMs: number;
  private readonly commandTimeoutMs: number;
  private readonly backoffMs: (failures: number) => number;

  constructor(private readonly options: RespClientOptions) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 1000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 500;
    this.backoffMs = options.backoffMs ?? defaultBackoff;
  }

  /** Runs one command; an error reply rejects with a RespError carrying the server's message. */
  async command(...args: Command): Promise<RespReply> {
    const [reply] = await this.batch([args]);
    if (reply instanceof RespError) throw reply;
    return reply ?? null;
  }

  /**
   * Writes the commands back to back, in one write, and resolves with every reply, error replies
   * included as RespError values. Nothing else is written between them (MULTI … EXEC).
   */
  async batch(commands: readonly Command[]): Promise<RespReply[]> {
    const connection = await this.connected();
    return connection.request(commands);
  }

  /** Ends the connection; commands waiting fail, and later ones are refused. */
  async close(): Promise<void> {
    this.closed = true;
    this.opening?.destroy();
    this.handshaking?.end(new Error('cache client closed'), 'closed');
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    connection.end(new Error('cache client closed'), 'closed');
    await connection.done;
  }

  private async connected(): Promise<Connection> {
    if (this.closed) throw new Error('cache client closed');
    if (this.connection?.open) return this.connection;
    if (this.connecting) return this.connecting;
    const failure = this.lastFailure;
    const wait = failure ? failure.retryAt - Date.now() : 0;
    if (failure && wait > 0)
      throw new Error(`cache unavailable (next attempt in ${wait} ms): ${failure.error.message}`);
    this.connecting = this.open().then(
      (connection) => {
        this.connecting = undefined;
        this.connection = connection;
        return connection;
      },
      (error: Error) => {
        this.connecting = undefined;
        this.failed(error);
        throw error;
      },
    );
    return this.connecting;
  }

  private failed(error: Error): void {
    this.failures += 1;
    this.lastFailure = { error, retryAt: Date.now() + this.backoffMs(this.failures) };
  }

  private async open(): Promise<Connection> {
    const { endpoint } = this.options;
    const auth = this.options.credentials
      ? await this.options.credentials()
      : endpoint.password !== undefined
        ? { username: endpoint.username, password: endpoint.password }
        : undefined;
    if (this.closed) throw new Error('cache client closed');
    const socket = await this.socket();
    // close() destroys a socket still connecting, but one that connected meanwhile (or came from
    // a TLS connect started after it) is ours to end. From here on, close() ends the handshake.
    if (this.closed) {
      socket.destroy();
      throw new Error('cache client closed');
    }
    const connection = new Connection(
      socket,
      this.commandTimeoutMs,
      (ended, ending) => {
        // A connection still in its handshake fails its opening instead, counted there.
        if (this.connection !== ended) return;
        this.connection = undefined;
        if (ending === 'stalled') this.failed(new Error('cache command timed out'));
      },
      () => {
        this.failures = 0;
      },
    );
    this.handshaking = connection;
    const handshake: Command[] = [];
    if (auth)
      handshake.push(auth.username ? ['AUTH', auth.username, auth.password] : ['AUTH', auth.password]);
    if (endpoint.db !== 0) handshake.push(['SELECT', endpoint.db]);
    try {
      if (handshake.length > 0) {
        const replies = await connection.request(handshake);
        const refused = replies.find((reply) => reply instanceof RespError);
        if (refused) {
          connection.end(refused, 'closed');
          throw refused;
        }
      }
    } finally {
      this.handshaking = undefined;
    }
    return connection;
  }

  /** A connected socket (TLS handshake done for rediss://), within the connect timeout. */
  private async socket(): Promise<Socket> {
    const { host, port, tls } = this.options.endpoint;
    const socket = tls
      ? (await import('node:tls')).connect({
          host,
          port,
          ...(isIP(host) ? {} : { servername: host }),
          ...this.options.tls,
        })
      : connectTcp({ host, port });
    // Errors after a failed attempt (the socket is destroyed) must not go unhandled either.
    socket.on('error', () => {});
    this.opening = socket;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`cache connect timed out after ${this.connectTimeoutMs} ms`)),
          this.connectTimeoutMs,
        );
        socket.once(tls ? 'secureConnect' : 'connect', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        socket.once('close', () => {
          clearTimeout(timer);
          reject(new Error('cache connection closed while connecting'));
        });
      });
    } catch (error) {
      socket.destroy();
      throw error;
    } finally {
      this.opening = undefined;
    }
    return socket;
  }
}
