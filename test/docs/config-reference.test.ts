import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BEGIN,
  DEPLOYMENT_DOC,
  END,
  currentReference,
  readSchema,
  renderReference,
  updateDeploymentDoc,
  withReference,
} from '../../bin/docs-config';

/** docs/deployment.md's configuration reference is the one the stage schema generates. */
describe('the configuration reference in docs/deployment.md', () => {
  it('is what npm run docs:config generates from lib/config/stages.ts now', async () => {
    const page = await readFile(DEPLOYMENT_DOC, 'utf8');
    const block = page.slice(page.indexOf(BEGIN) + BEGIN.length, page.indexOf(END)).trim();
    expect(block, 'docs/deployment.md is out of date: run npm run docs:config').toBe(
      (await currentReference()).trim(),
    );
  });

  it('names every setting of every stage', async () => {
    const page = await readFile(DEPLOYMENT_DOC, 'utf8');
    for (const setting of ['region', 'database.minCapacity', 'cache.maxEcpuPerSecond', 'github.environment'])
      expect(page).toContain(`| \`${setting}\``);
  });
});

const SCHEMA = `
const stageConfigSchema = z
  .object({
    stage: z.enum(STAGES),
    /** Where alarms go. */
    alarmEmail: z.email(),
    database: z.object({
      /** Aurora's floor. */
      minCapacity: z.number().min(0).max(256),
      port: z.number().int().min(1150),
    }),
    zones: z.array(z.string().regex(/^[A-Z]{2}$/)).min(1),
    size: z.number().int().max(64 * 1024).optional(),
    mode: z.union([z.literal(30), z.literal(90)]).default(30),
  })
  .superRefine((c, ctx) => {
    ctx.addIssue({ code: 'custom', path: ['database', 'port'], message: 'must not be 5432' });
    const required: [boolean, string][] = [[c.alarmEmail !== '', 'alarmEmail must be set in prod']];
  });`;

describe('npm run docs:config', () => {
  it('reads each setting with its documentation comment and constraint, nested objects as dotted paths', () => {
    const { settings, rules } = readSchema(SCHEMA, { STAGES: ['dev', 'staging', 'prod'] });
    expect(settings).toEqual([
      { path: 'stage', constraint: 'one of `dev`, `staging`, `prod`', doc: '' },
      { path: 'alarmEmail', constraint: 'e-mail address', doc: 'Where alarms go.' },
      { path: 'database.minCapacity', constraint: 'number, 0–256', doc: "Aurora's floor." },
      { path: 'database.port', constraint: 'integer, at least 1,150', doc: '' },
      { path: 'zones', constraint: 'list of (string, matching /^[A-Z]{2}$/), at least 1 item(s)', doc: '' },
      { path: 'size', constraint: 'integer, at most 65,536, optional', doc: '' },
      { path: 'mode', constraint: 'one of `30`, `90`, default 30', doc: '' },
    ]);
    expect(rules).toEqual(['`database.port`: must not be 5432', 'alarmEmail must be set in prod']);
  });

  it('fails on a file without the schema', () => {
    expect(() => readSchema('export const x = 1;')).toThrow('has no stageConfigSchema declaration');
  });

  it('shows each stage its own value, a dash for an unset one', async () => {
    const { settings, rules } = readSchema(SCHEMA, { STAGES: ['dev', 'staging', 'prod'] });
    const stage = (name: string, size?: number) => ({
      stage: name,
      alarmEmail: `${name}@example.com`,
      database: { minCapacity: name === 'prod' ? 0.5 : 0, port: 5532 },
      zones: ['CU', 'IR'],
      size,
      mode: 30,
    });
    const markdown = await renderReference(
      { settings, rules },
      { dev: stage('dev'), staging: stage('staging'), prod: stage('prod', 2048) },
    );
    const row = (path: string) => markdown.split('\n').find((l) => l.startsWith(`| \`${path}\``)) ?? '';
    expect(
      row('database.minCapacity')
        .split('|')
        .map((c) => c.trim()),
    ).toEqual(['', '`database.minCapacity`', 'number, 0–256', '`0`', '`0`', '`0.5`', "Aurora's floor.", '']);
    expect(row('size')).toMatch(/\| – +\| – +\| `2048` +\|/);
    expect(row('zones')).toContain('`CU` `IR`');
    expect(markdown).toContain('- `database.port`: must not be 5432');
  });

  it('replaces only the block between the markers, and refuses a page without them', () => {
    const page = `# Guide\n\n${BEGIN}\nold\n${END}\n\nAfter.\n`;
    expect(withReference(page, '| new |\n')).toBe(`# Guide\n\n${BEGIN}\n\n| new |\n\n${END}\n\nAfter.\n`);
    expect(() => withReference('# Guide\n', 'x')).toThrow('lacks the markers');
  });

  it('writes the page once and then finds it up to date', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-docs-config-'));
    try {
      const copy = join(dir, 'deployment.md');
      await copyFile(DEPLOYMENT_DOC, copy);
      const page = await readFile(copy, 'utf8');
      await writeFile(copy, withReference(page, 'stale'));
      expect(await updateDeploymentDoc(copy)).toBe(true);
      expect(await readFile(copy, 'utf8')).toBe(page);
      expect(await updateDeploymentDoc(copy)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run docs:config, other schema shapes', () => {
  const OTHER = `
const stageConfigSchema = z.object({
  ...shared,
  on: z.boolean(),
  arn: z.string().startsWith('arn:aws:acm:'),
  size: z.number().min((2 + 2) * 8),
  kind: z.enum(['a', 'b']).transform((v) => v.toUpperCase()),
  /** A nested block. */
  zone: z.object({ id: z.string().min(3) }).optional(),
  custom: customSchema,
}).superRefine((c, ctx) => {
  ctx.addIssue({ code: 'custom', path: [], message: 'something is off' });
});`;

  it('describes booleans, prefixes, computed bounds and methods it does not know, and skips spreads', () => {
    const { settings, rules } = readSchema(OTHER);
    expect(settings).toEqual([
      { path: 'on', constraint: 'boolean', doc: '' },
      { path: 'arn', constraint: 'string, starting with `arn:aws:acm:`', doc: '' },
      { path: 'size', constraint: 'number, at least 32', doc: '' },
      { path: 'kind', constraint: 'one of `a`, `b`, transform((v) => v.toUpperCase())', doc: '' },
      { path: 'zone', constraint: 'object, optional', doc: 'A nested block.' },
      { path: 'zone.id', constraint: 'string, at least 3', doc: '' },
      { path: 'custom', constraint: '', doc: '' },
    ]);
    expect(rules).toEqual(['something is off']);
  });

  it('refuses a schema that is not an object', () => {
    expect(() => readSchema('const stageConfigSchema = z.string();')).toThrow('is not a z.object');
  });

  it('shows an object value as JSON', async () => {
    const markdown = await renderReference(
      { settings: [{ path: 'zone', constraint: 'object, optional', doc: 'A zone.' }], rules: [] },
      { dev: { zone: { id: 'Z1' } }, staging: {}, prod: {} },
    );
    expect(markdown).toContain('| `zone`');
    expect(markdown).not.toContain('{"id":"Z1"}');
    const leaf = await renderReference(
      { settings: [{ path: 'zone', constraint: 'any', doc: '' }], rules: [] },
      { dev: { zone: { id: 'Z1' } }, staging: {}, prod: {} },
    );
    expect(leaf).toContain('`{"id":"Z1"}`');
  });
});
