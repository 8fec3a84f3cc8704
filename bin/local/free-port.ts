import { createServer } from 'node:net';

/**
 * A TCP port free on 127.0.0.1 right now, for servers that must be told their port before they
 * start (PostgreSQL, cognito-local). Another process may take it before they do; the window is
 * small enough for a developer machine and for tests.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
