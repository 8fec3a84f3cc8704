import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { NAG_ACKNOWLEDGEMENTS } from '../../../lib/config/nag-acknowledgements';
import { STAGES } from '../../../lib/config/stages';
import { REPO_ROOT } from '../../../lib/constructs/app-function';
import { createParleyApp } from '../../../lib/parley-app';
import { synthesizeStage } from '../support';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

describe('cdk-nag (AwsSolutions and Serverless packs)', () => {
  it.each(STAGES)('synthesizes %s with zero unacknowledged findings', (stage) => {
    // Act and Assess: any unacknowledged finding makes synth throw.
    expect(() => synthesizeStage(stage)).not.toThrow();
  });

  it('fails the synth on an unacknowledged finding', () => {
    // Prepare: a bucket with no encryption policy, logging or SSL enforcement.
    const { app } = createParleyApp({ stage: 'dev', context: NO_BUNDLING });
    const rogue = new Stack(app, 'Rogue', { env: { region: 'eu-west-1' } });
    new s3.Bucket(rogue, 'Leaky');

    // Act and Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });

  it('keeps the acknowledgements to 15 or fewer, each with a specific reason', () => {
    const entries = Object.values(NAG_ACKNOWLEDGEMENTS);
    expect(entries.length).toBeLessThanOrEqual(15);
    for (const entry of entries) expect(entry.reason.length).toBeGreaterThan(60);
  });

  it('lists every acknowledgement in docs/security.md', () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'security.md'), 'utf8');
    for (const { id } of Object.values(NAG_ACKNOWLEDGEMENTS)) {
      const rule = id.replace(/\[.*$/, '');
      expect(doc, `docs/security.md should mention ${rule}`).toContain(rule);
    }
  });
});
