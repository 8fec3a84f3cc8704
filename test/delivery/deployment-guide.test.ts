import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The deploy roles trust a GitHub environment, not a branch (lib/stacks/delivery-stack.ts), so
 * the environments' own rules are what keep a branch's edited workflow from deploying: the setup
 * in docs/deployment.md, "Continuous delivery", must name them with GitHub's setting names.
 */
const ROOT = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const guide = read('docs/deployment.md');
const setup = guide.slice(
  guide.indexOf('## Continuous delivery'),
  guide.indexOf('\n## ', guide.indexOf('## Continuous delivery') + 1),
);
const environmentsStep = setup.slice(setup.indexOf('Settings → Environments'), setup.indexOf('\n3. '));

describe('the GitHub environments setup in docs/deployment.md', () => {
  it('is needed: the deploy role trusts the environment, whatever the branch', () => {
    expect(read('lib/stacks/delivery-stack.ts')).toMatch(
      /'token\.actions\.githubusercontent\.com:sub': `repo:\$\{config\.github\.repository\}:environment:\$\{config\.github\.environment\}`/,
    );
  });

  it('restricts both staging and prod to deployments from main', () => {
    const bullet = environmentsStep.split('\n   - ').find((b) => b.startsWith('For both'));
    expect(environmentsStep).toContain('create `staging` and `prod`');
    expect(bullet).toContain('**Deployment branches and tags**');
    expect(bullet).toContain('**Selected branches and tags**');
    expect(bullet).toContain('branch rule `main`');
  });

  it('makes prod wait for a reviewer other than whoever started the deploy', () => {
    const bullet = environmentsStep.split('\n   - ').find((b) => b.startsWith('For `prod`'));
    expect(bullet).toContain('**Required reviewers**');
    expect(bullet).toContain('**Prevent self-review**');
  });
});
