import { appendFile, readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import * as z from 'zod';

/**
 * `node --import tsx bin/canary-report.ts --stage <stage> deployments.json`: what CodeDeploy did
 * with the API functions' canaries during a deploy, from the output of
 * `aws deploy batch-get-deployments`. A canary that breached one of its function's alarms is
 * rolled back by CodeDeploy on its own; this names which function, why, and fails the step.
 * Writes a Markdown table to `GITHUB_STEP_SUMMARY` when set, and GitHub annotations to stdout.
 */

const deployment = z.object({
  deploymentId: z.string(),
  deploymentGroupName: z.string().optional(),
  status: z.string(),
  deploymentConfigName: z.string().optional(),
  errorInformation: z.object({ code: z.string().optional(), message: z.string().optional() }).optional(),
  rollbackInfo: z
    .object({
      rollbackDeploymentId: z.string().optional(),
      rollbackTriggeringDeploymentId: z.string().optional(),
      rollbackMessage: z.string().optional(),
    })
    .optional(),
});
const batch = z.object({ deploymentsInfo: z.array(deployment) });
export type Deployment = z.infer<typeof deployment>;

export type Outcome = 'released' | 'rolled-back' | 'failed' | 'in-progress' | 'rollback';

export interface CanaryRow {
  readonly group: string;
  readonly deploymentId: string;
  readonly status: string;
  readonly outcome: Outcome;
  readonly reason: string;
}

export interface CanaryReport {
  readonly rows: readonly CanaryRow[];
  /** True when every canary was released (or there was none: no function changed). */
  readonly ok: boolean;
  readonly markdown: string;
  readonly annotations: readonly string[];
}

function outcomeOf(d: Deployment): Outcome {
  // CodeDeploy rolls back by starting a new deployment that points at the one it undoes.
  if (d.rollbackInfo?.rollbackTriggeringDeploymentId) return 'rollback';
  if (d.status === 'Succeeded') return 'released';
  if (d.status === 'Failed' || d.status === 'Stopped')
    return d.rollbackInfo?.rollbackDeploymentId ? 'rolled-back' : 'failed';
  return 'in-progress';
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();

/** Reads `aws deploy batch-get-deployments` output; throws naming the field that is wrong. */
export function parseDeployments(json: unknown): Deployment[] {
  const result = batch.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(
      `Not a batch-get-deployments answer: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  return result.data.deploymentsInfo;
}

export function canaryReport(stage: string, deployments: readonly Deployment[]): CanaryReport {
  const rows: CanaryRow[] = deployments.map((d) => ({
    group: d.deploymentGroupName ?? '(unknown group)',
    deploymentId: d.deploymentId,
    status: d.status,
    outcome: outcomeOf(d),
    reason: d.rollbackInfo?.rollbackMessage ?? d.errorInformation?.message ?? '',
  }));
  const bad = rows.filter((r) => r.outcome === 'rolled-back' || r.outcome === 'failed');
  const lines = [`## Canary: ${stage}`, ''];
  if (rows.length === 0) {
    lines.push('No function deployment in this run: no API function changed.');
  } else {
    lines.push(
      '| function group | deployment | status | outcome | reason |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const r of rows)
      lines.push(`| ${cell(r.group)} | ${r.deploymentId} | ${r.status} | ${r.outcome} | ${cell(r.reason)} |`);
  }
  if (bad.length > 0) {
    lines.push(
      '',
      `**${bad.length} canary(ies) rolled back or failed**: the previous version serves all traffic. ` +
        'Read the alarm named in the reason, then docs/runbook.md "Roll back a deployment".',
    );
  }
  const annotations = bad.map(
    (r) =>
      `::error title=Canary ${r.outcome} (${stage})::${r.group} (${r.deploymentId}): ${r.reason || r.status}`,
  );
  return { rows, ok: bad.length === 0, markdown: `${lines.join('\n')}\n`, annotations };
}

export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly out: (line: string) => void;
}

/** The command line; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const stageAt = argv.indexOf('--stage');
  const stage = stageAt >= 0 ? argv[stageAt + 1] : undefined;
  const file = argv.filter((_, i) => i !== stageAt && i !== stageAt + 1)[0];
  if (!stage || !file) {
    io.out('Usage: canary-report --stage <stage> <batch-get-deployments.json>');
    return 2;
  }
  let report: CanaryReport;
  try {
    report = canaryReport(stage, parseDeployments(JSON.parse(await readFile(file, 'utf8'))));
  } catch (error) {
    io.out(`::error title=Canary report::${(error as Error).message}`);
    return 1;
  }
  io.out(report.markdown);
  for (const a of report.annotations) io.out(a);
  if (io.env.GITHUB_STEP_SUMMARY) await appendFile(io.env.GITHUB_STEP_SUMMARY, report.markdown);
  return report.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2), { env: process.env, out: (l) => console.log(l) });
}
