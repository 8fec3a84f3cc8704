import { build, type Metafile } from 'esbuild';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HANDLER_GROUPS, type HandlerGroup } from '#shared/http/route';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildOptions } from '../../../lib/constructs/bundling-options';

/**
 * No API bundle holds the AWS SDK: the Data API, Cognito and Secrets Manager are called with our
 * clients on fetch (functions/shared/aws), whose load time is a fraction of the SDK's middleware.
 * Built with the options the CDK app builds the functions with.
 */
let outdir = '';
const metafiles = new Map<HandlerGroup, Metafile>();

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'parley-sdk-free-'));
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

/** Files the bundle holds at all (any byte of them in any of its outputs). */
function bundled(group: HandlerGroup): string[] {
  const metafile = metafiles.get(group);
  if (!metafile) throw new Error(`no build of ${group}`);
  return Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path),
  );
}

const AWS_SDK = /node_modules\/(@aws-sdk|@smithy|@aws-crypto)\//;

describe('the API bundles', () => {
  it.each(HANDLER_GROUPS)('%s holds no @aws-sdk, @smithy or @aws-crypto module', (group) => {
    const files = bundled(group);
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((f) => AWS_SDK.test(f))).toEqual([]);
  });

  it('call Cognito and Secrets Manager with our awsJson1.1 client (admin, chat)', () => {
    expect(bundled('admin')).toContain('functions/shared/aws/aws-json-client.ts');
    expect(bundled('chat')).toContain('functions/shared/aws/aws-json-client.ts');
  });
});
