import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParleyApp } from '../../../lib/parley-app';

/**
 * A tab opened before a deploy still runs the previous release's entry chunk, which loads its lazy
 * chunks (the console pages) by their hashed names: those must still be there after the deploy.
 */
type Deployment = { Properties: Record<string, unknown>; DependsOn?: string | string[] };

let webDistDir = '';
let deployments: [string, Deployment][] = [];

beforeAll(() => {
  // Prepare: a web build with a hashed chunk, as Vite writes it (os.tmpdir(): not the repository's).
  webDistDir = mkdtempSync(join(tmpdir(), 'parley-web-dist-'));
  mkdirSync(join(webDistDir, 'assets'));
  writeFileSync(
    join(webDistDir, 'index.html'),
    '<script type="module" src="/assets/index-AbC123.js"></script>',
  );
  writeFileSync(join(webDistDir, 'assets', 'index-AbC123.js'), 'import("./users-page-DeF456.js")');
  writeFileSync(join(webDistDir, 'assets', 'users-page-DeF456.js'), 'export {}');
  const { app, stacks } = createParleyApp({
    stage: 'dev',
    webDistDir,
    context: { 'aws:cdk:bundling-stacks': [] },
  });
  const template = app.synth().getStackByName(stacks.web.stackName).template as {
    Resources: Record<string, Deployment & { Type: string }>;
  };
  deployments = Object.entries(template.Resources).filter(
    ([, r]) => r.Type === 'Custom::CDKBucketDeployment',
  );
}, 120_000);

afterAll(() => rmSync(webDistDir, { recursive: true, force: true }));

const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

describe('the site deployment', () => {
  it("never deletes a previous release's hashed assets", () => {
    // Act: the deployments that delete what their sources lack, and what they leave alone.
    const pruning = deployments.filter(([, d]) => d.Properties.Prune !== false);

    // Assess: each keeps its hands off assets/ (the sync's exclude also spares it from the prune).
    expect(deployments.length).toBeGreaterThan(0);
    for (const [id, d] of pruning) {
      expect(d.Properties.DestinationBucketKeyPrefix, id).toBeUndefined();
      expect(asArray(d.Properties.Exclude as string[] | undefined), id).toContain('assets/*');
    }
  });

  it('uploads the new assets, pruning none, before the index.html that loads them', () => {
    // Act
    const assets = deployments.filter(([, d]) => d.Properties.DestinationBucketKeyPrefix === 'assets/');
    const site = deployments.filter(([, d]) =>
      JSON.stringify(d.Properties.DistributionPaths ?? []).includes('/index.html'),
    );

    // Assess
    expect(assets).toHaveLength(1);
    expect(site).toHaveLength(1);
    const [assetsId, assetsDeployment] = assets[0] ?? [];
    expect(assetsDeployment?.Properties.Prune).toBe(false);
    expect(asArray(site[0]?.[1].DependsOn)).toContain(assetsId);
  });
});
