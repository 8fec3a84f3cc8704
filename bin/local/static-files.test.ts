import type { ServerResponse } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webAppHandler } from './static-files';

/** The local server's web app: files from the build, the SPA's routes, and nothing outside it. */
let parent: string;
let root: string;
let serve: ReturnType<typeof webAppHandler>;

beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), 'parley-static-'));
  root = join(parent, 'dist');
  await mkdir(join(root, 'assets'), { recursive: true });
  await mkdir(join(root, 'folder.d'));
  await writeFile(join(root, 'index.html'), '<div id="root"></div>');
  await writeFile(join(root, 'assets', 'app-1a2b.js'), 'console.log(1)');
  await writeFile(join(root, 'favicon.svg'), '<svg/>');
  await writeFile(join(root, 'data.bin'), 'x');
  await writeFile(join(parent, 'secret.txt'), 'outside the build');
  // A sibling whose name starts with the build folder's: outside it all the same.
  await mkdir(join(parent, 'dist-private'));
  await writeFile(join(parent, 'dist-private', 'key.txt'), 'outside the build');
  serve = webAppHandler({ root, config: { apiUrl: '/api' }, cognitoEndpoint: 'http://127.0.0.1:9229' });
});
afterAll(() => rm(parent, { recursive: true, force: true }));

async function get(path: string) {
  let status = 0;
  let headers: Record<string, string> = {};
  let body = '';
  const res = {
    writeHead(code: number, h: Record<string, string>) {
      status = code;
      headers = h;
      return res;
    },
    end(content?: string | Buffer) {
      body = content === undefined ? '' : content.toString();
      return res;
    },
  } as unknown as ServerResponse;
  await serve(path, res);
  return { status, headers, body };
}

describe('the local web app handler', () => {
  it('serves hashed assets as immutable and other files to be revalidated, with their types', async () => {
    const asset = await get('/assets/app-1a2b.js');
    expect(asset).toMatchObject({ status: 200, body: 'console.log(1)' });
    expect(asset.headers['Cache-Control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['Content-Type']).toBe('text/javascript; charset=utf-8');
    const icon = await get('/favicon.svg');
    expect(icon.headers).toMatchObject({ 'Content-Type': 'image/svg+xml', 'Cache-Control': 'no-cache' });
    expect((await get('/data.bin')).headers['Content-Type']).toBe('application/octet-stream');
  });

  it('answers the SPA for its routes, with the CSP that allows only itself and Cognito', async () => {
    const page = await get('/c/123');
    expect(page).toMatchObject({ status: 200, body: '<div id="root"></div>' });
    expect(page.headers['Content-Security-Policy']).toContain("connect-src 'self' http://127.0.0.1:9229");
    expect(page.headers['X-Frame-Options']).toBe('DENY');
  });

  it('answers 404 for a missing file or a folder, rather than the page', async () => {
    expect(await get('/assets/missing.js')).toMatchObject({ status: 404, body: 'Not found' });
    expect((await get('/folder.d')).status).toBe(404);
  });

  it('never serves a file outside the build, and survives a malformed path', async () => {
    const escape = await get('/%2e%2e/secret.txt');
    expect(escape.body).not.toContain('outside the build');
    expect((await get('/%E0%A4%A')).body).toBe('<div id="root"></div>');
  });

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/../dist-private/key.txt',
    '/%2e%2e%2fdist-private%2fkey.txt',
  ])(
    'answers %s, which climbs out of the build, with the app page and nothing from outside',
    async (path) => {
      const answer = await get(path);
      expect(answer).toMatchObject({ status: 200, body: '<div id="root"></div>' });
      expect(answer.headers['Content-Type']).toBe('text/html; charset=utf-8');
    },
  );

  it('answers a path with a NUL byte or a backslash without reading outside the build', async () => {
    expect(await get('/favicon.svg%00.js')).toMatchObject({ status: 404, body: 'Not found' });
    // On Linux and macOS a backslash is part of a file name, not a separator.
    expect(await get('/..%5csecret.txt')).toMatchObject({ status: 404, body: 'Not found' });
    expect(await get('/c/%00')).toMatchObject({ status: 200, body: '<div id="root"></div>' });
  });

  it('serves the runtime configuration', async () => {
    expect(await get('/config.json')).toMatchObject({ status: 200, body: '{"apiUrl":"/api"}' });
  });
});
