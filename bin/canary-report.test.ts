import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { canaryReport, main, parseDeployments } from './canary-report';

/** What `aws deploy batch-get-deployments` answers, trimmed to the fields the report reads. */
const released = {
  deploymentId: 'd-RELEASED1',
  deploymentGroupName: 'parley-prod-Fn-chat-Deployment',
  status: 'Succeeded',
  deploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
};
const rolledBack = {
  deploymentId: 'd-ROLLEDBACK',
  deploymentGroupName: 'parley-prod-Fn-conversations-Deployment',
  status: 'Stopped',
  errorInformation: {
    code: 'ALARM_ACTIVE',
    message: 'One or more alarms have been activated: parley-prod-conversations-errors',
  },
  rollbackInfo: {
    rollbackDeploymentId: 'd-ROLLBACK01',
    rollbackMessage: 'Automatic rollback triggered: alarm parley-prod-conversations-errors',
  },
};
const rollback = {
  deploymentId: 'd-ROLLBACK01',
  deploymentGroupName: 'parley-prod-Fn-conversations-Deployment',
  status: 'Succeeded',
  rollbackInfo: { rollbackTriggeringDeploymentId: 'd-ROLLEDBACK' },
};

describe('the canary report', () => {
  it('reports released canaries and passes', () => {
    const report = canaryReport('prod', [released]);
    expect(report.ok).toBe(true);
    expect(report.rows).toEqual([
      {
        group: 'parley-prod-Fn-chat-Deployment',
        deploymentId: 'd-RELEASED1',
        status: 'Succeeded',
        outcome: 'released',
        reason: '',
      },
    ]);
    expect(report.annotations).toEqual([]);
    expect(report.markdown).toContain(
      '| parley-prod-Fn-chat-Deployment | d-RELEASED1 | Succeeded | released |  |',
    );
  });

  it('names the function rolled back on an alarm, the alarm, and fails', () => {
    const report = canaryReport('prod', [released, rolledBack, rollback]);
    expect(report.ok).toBe(false);
    expect(report.rows.map((r) => [r.deploymentId, r.outcome])).toEqual([
      ['d-RELEASED1', 'released'],
      ['d-ROLLEDBACK', 'rolled-back'],
      ['d-ROLLBACK01', 'rollback'],
    ]);
    expect(report.annotations).toEqual([
      '::error title=Canary rolled-back (prod)::parley-prod-Fn-conversations-Deployment (d-ROLLEDBACK): ' +
        'Automatic rollback triggered: alarm parley-prod-conversations-errors',
    ]);
    expect(report.markdown).toContain('**1 canary(ies) rolled back or failed**');
    expect(report.markdown).toContain('docs/runbook.md');
  });

  it('fails a deployment that failed without a rollback, with its error, and keeps table cells whole', () => {
    const report = canaryReport('staging', [
      {
        deploymentId: 'd-FAILED01',
        status: 'Failed',
        errorInformation: { message: 'The hook | failed\nbadly' },
      },
    ]);
    expect(report.ok).toBe(false);
    expect(report.rows[0]).toMatchObject({ group: '(unknown group)', outcome: 'failed' });
    expect(report.markdown).toContain(
      '| (unknown group) | d-FAILED01 | Failed | failed | The hook \\| failed badly |',
    );
  });

  it('treats a deployment still running as neither released nor failed', () => {
    const report = canaryReport('prod', [{ ...released, status: 'Baking' }]);
    expect(report.rows[0]?.outcome).toBe('in-progress');
    expect(report.ok).toBe(true);
  });

  it('says so when no function changed', () => {
    const report = canaryReport('staging', []);
    expect(report.ok).toBe(true);
    expect(report.markdown).toContain('No function deployment in this run');
  });

  it('refuses input that is not a batch-get-deployments answer, naming the field', () => {
    expect(() => parseDeployments({ deploymentsInfo: [{ status: 'Succeeded' }] })).toThrow(
      'Not a batch-get-deployments answer: deploymentsInfo.0.deploymentId:',
    );
    expect(() => parseDeployments([])).toThrow('Not a batch-get-deployments answer: (root):');
  });
});

describe('the canary report command', () => {
  let dir: string;
  const out: string[] = [];
  const io = (env: NodeJS.ProcessEnv = {}) => ({ env, out: (line: string) => out.push(line) });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-canary-'));
    out.length = 0;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('prints the report, appends it to the job summary and exits 1 on a rollback', async () => {
    const file = join(dir, 'deployments.json');
    await writeFile(file, JSON.stringify({ deploymentsInfo: [rolledBack, rollback] }));
    const summary = join(dir, 'summary.md');
    expect(await main(['--stage', 'prod', file], io({ GITHUB_STEP_SUMMARY: summary }))).toBe(1);
    expect(out[0]).toContain('## Canary: prod');
    expect(out[1]).toMatch(/^::error title=Canary rolled-back \(prod\)::/);
    expect(await readFile(summary, 'utf8')).toBe(out[0]);
  });

  it('names the status when a failed deployment gives no reason', async () => {
    const file = join(dir, 'deployments.json');
    const silent = {
      deploymentId: 'd-SILENT',
      deploymentGroupName: 'parley-prod-Fn-chat-Deployment',
      status: 'Failed',
    };
    await writeFile(file, JSON.stringify({ deploymentsInfo: [silent] }));
    expect(await main(['--stage', 'prod', file], io())).toBe(1);
    expect(out[1]).toBe(
      '::error title=Canary failed (prod)::parley-prod-Fn-chat-Deployment (d-SILENT): Failed',
    );
  });

  it.each([null, [], 'Succeeded'])('refuses a file holding %j, naming the root', async (json) => {
    const file = join(dir, 'deployments.json');
    await writeFile(file, JSON.stringify(json));
    expect(await main(['--stage', 'prod', file], io())).toBe(1);
    expect(out[0]).toMatch(/^::error title=Canary report::Not a batch-get-deployments answer: \(root\): /);
  });

  it('runs as a command: its arguments in, the report printed, the exit code set', async () => {
    // Prepare: the file run as `node --import tsx bin/canary-report.ts --stage prod <file>`.
    const file = join(dir, 'deployments.json');
    await writeFile(file, JSON.stringify({ deploymentsInfo: [rolledBack] }));
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.stubEnv('GITHUB_STEP_SUMMARY', '');
    const argv = process.argv;
    process.argv = [
      process.execPath,
      fileURLToPath(new URL('./canary-report.ts', import.meta.url)),
      '--stage',
      'prod',
      file,
    ];
    try {
      // Act
      vi.resetModules();
      await import('./canary-report');

      // Assess
      expect(process.exitCode).toBe(1);
      expect(log.mock.calls[0]?.[0]).toContain('## Canary: prod');
      expect(log.mock.calls[1]?.[0]).toMatch(/^::error title=Canary rolled-back \(prod\)::/);
    } finally {
      process.argv = argv;
      process.exitCode = undefined;
      vi.unstubAllEnvs();
      log.mockRestore();
    }
  });

  it('exits 0 when every canary was released', async () => {
    const file = join(dir, 'deployments.json');
    await writeFile(file, JSON.stringify({ deploymentsInfo: [released] }));
    expect(await main([file, '--stage', 'staging'], io())).toBe(0);
    expect(out).toHaveLength(1);
  });

  it('exits 2 with the usage when the stage or file is missing, and 1 on an unreadable file', async () => {
    expect(await main(['--stage', 'prod'], io())).toBe(2);
    expect(out[0]).toMatch(/^Usage: canary-report/);
    expect(await main(['--stage', 'prod', join(dir, 'missing.json')], io())).toBe(1);
    expect(out[1]).toMatch(/^::error title=Canary report::ENOENT/);
    expect(await main([join(dir, 'deployments.json')], io())).toBe(2);
    expect(out[2]).toMatch(/^Usage: canary-report/);
  });
});
