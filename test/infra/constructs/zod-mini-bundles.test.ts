import { build, type Metafile } from 'esbuild';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HANDLER_GROUPS, type HandlerGroup } from '#shared/http/route';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildOptions } from '../../../lib/constructs/bundling-options';

/**
 * The API functions validate with zod/mini (functions/shared/zod.ts): classic zod's chainable
 * API costs ~100 KB per bundle and nearly doubles cold init (bench/cold-start.ts). Each bundle is
 * built with the options the CDK app builds it with (metafile only) and must hold no file of
 * zod classic, only the core, mini and the English locale that keeps the messages readable.
 */
let outdir = '';
const metafiles = new Map<HandlerGroup, Metafile>();

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'parley-zod-mini-'));
  await Promise.all(
    HANDLER_GROUPS.map(async (group) => {
      const result = await build({
        ...esbuildOptions(`functions/${group}/lambda.ts`, join(outdir, group, 'index.mjs')),
        metafile: true,
        write: false,
      });
      metafiles.set(group, result.metafile);
    }),
  );
}, 120_000);

afterAll(() => rm(outdir, { recursive: true, force: true }));

/** zod files with any byte in the output. */
function zodFiles(group: HandlerGroup): string[] {
  const metafile = metafiles.get(group);
  if (!metafile) throw new Error(`no build of ${group}`);
  return Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([path, input]) => input.bytesInOutput > 0 && path.includes('node_modules/zod/'))
      .map(([path]) => path),
  );
}

describe('zod in the API bundles', () => {
  it.each(HANDLER_GROUPS)('%s holds zod/mini and no file of zod classic', (group) => {
    const files = zodFiles(group);
    expect(files.some((path) => path.includes('node_modules/zod/v4/mini/'))).toBe(true);
    expect(files.filter((path) => /node_modules\/zod\/(v4\/classic|v3)\//.test(path))).toEqual([]);
    // Only the English locale (locales/index.js adds the few bytes of an empty namespace object).
    expect(
      files.filter((path) => /\/locales\//.test(path) && !/\/locales\/(en|index)\.js$/.test(path)),
    ).toEqual([]);
  });
});
