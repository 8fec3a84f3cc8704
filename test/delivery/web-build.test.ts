import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { noNodeBuiltins } from '../../web/vite.config';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-web-build-'));
  // A shared module as the web app imports one, and another that needs Node.
  await writeFile(join(dir, 'policy.ts'), 'export const LIMIT = 5;\n');
  await writeFile(
    join(dir, 'keyed.ts'),
    "import { hash } from 'node:crypto';\nexport const key = (s: string) => hash('sha256', s);\n",
  );
  await writeFile(join(dir, 'clean.ts'), "import { LIMIT } from './policy';\nconsole.log(LIMIT);\n");
  await writeFile(join(dir, 'leaky.ts'), "import { key } from './keyed';\nconsole.log(key('x'));\n");
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const bundle = (entry: string) =>
  build({
    root: dir,
    configFile: false,
    logLevel: 'silent',
    plugins: [noNodeBuiltins()],
    build: { write: false, lib: { entry: join(dir, entry), formats: ['es'], fileName: 'out' } },
  });

describe('the web build', () => {
  it('bundles modules that need nothing from Node', async () => {
    await expect(bundle('clean.ts')).resolves.toBeDefined();
  });

  it('fails when a module it bundles imports a Node built-in, naming both', async () => {
    await expect(bundle('leaky.ts')).rejects.toThrow(
      /keyed\.ts imports node:crypto, which does not exist in the browser/,
    );
  });
});
