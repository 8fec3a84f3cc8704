import { createServer, type AddressInfo } from 'node:net';

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
      // A TCP server listening on an address reports it as an object, never a pipe name or null.
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
