import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';

/**
 * The web app as CloudFront and S3 serve it: the files of `web/dist`, `index.html` for any other
 * path (the SPA's client-side routes), and `/config.json`, which on AWS the web stack writes.
 */
export interface WebAppOptions {
  /** The build folder (`web/dist`). */
  readonly root: string;
  /**
   * What the SPA reads from `/config.json`: the Cognito pool, its endpoint, the API's URL, the
   * idle sign-out.
   */
  readonly config: Readonly<Record<string, string | number>>;
  /** The only other origin the SPA may connect to. */
  readonly cognitoEndpoint: string;
}

const execFileAsync = promisify(execFile);

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Builds the web app into `root` unless a build is there already. */
export async function buildWebAppIfMissing(root: string, log: (message: string) => void): Promise<void> {
  if (existsSync(join(root, 'index.html'))) return;
  log('Building the web app (first start)…');
  // A separate process with NODE_ENV=production: inside a test runner (NODE_ENV=test) an
  // in-process build would ship React's development build.
  await execFileAsync(
    process.execPath,
    [
      resolve('node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      resolve('web/vite.config.ts'),
      '--logLevel',
      'warn',
    ],
    { env: { ...process.env, NODE_ENV: 'production' } },
  );
}

/** Answers any non-API request: `/config.json`, a file of the build, or the SPA's index. */
export function webAppHandler(options: WebAppOptions) {
  const headers = {
    'Content-Security-Policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      `connect-src 'self' ${options.cognitoEndpoint}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "object-src 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  };
  const config = JSON.stringify(options.config);
  return async (path: string, res: ServerResponse): Promise<void> => {
    if (path === '/config.json') {
      res.writeHead(200, { ...headers, 'Content-Type': CONTENT_TYPES['.json'], 'Cache-Control': 'no-cache' });
      res.end(config);
      return;
    }
    await serveStatic(options.root, path, res, headers);
  };
}

async function serveStatic(
  root: string,
  path: string,
  res: ServerResponse,
  headers: Record<string, string>,
): Promise<void> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    decoded = '/';
  }
  const candidate = resolve(root, `.${decoded}`);
  // Never outside the build folder; anything unknown is the SPA's (client-side routes).
  const inside = candidate === root || candidate.startsWith(root + sep);
  let file = join(root, 'index.html');
  if (inside && extname(candidate)) {
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isFile()) file = candidate;
    else {
      res.writeHead(404, { ...headers, 'Content-Type': CONTENT_TYPES['.txt'] });
      return void res.end('Not found');
    }
  }
  const content = await readFile(file);
  const immutable = file.includes(`${sep}assets${sep}`);
  res.writeHead(200, {
    ...headers,
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  res.end(content);
}
