import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import type { Figure } from './figures';

interface Row {
  readonly file: string;
  readonly test: string;
  readonly state: string;
  readonly figures: readonly Figure[];
}

/**
 * The closing summary of `npm run test:resilience`: every test with its state and the figures it
 * recorded, as a table, and as JSON in RESILIENCE_JSON when that names a file.
 */
export default class SummaryReporter implements Reporter {
  async onTestRunEnd(testModules: ReadonlyArray<TestModule>): Promise<void> {
    const rows: Row[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        rows.push({
          file: relative(process.cwd(), module.moduleId),
          test: test.name,
          state: test.result().state,
          figures: test.meta().figures ?? [],
        });
      }
    }
    const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;
    const lines = ['', 'Resilience summary', `machine: ${machine}`, ''];
    for (const row of rows) {
      lines.push(`${row.state === 'passed' ? 'ok  ' : row.state.toUpperCase().padEnd(4)} ${row.test}`);
      for (const f of row.figures)
        lines.push(`       ${f.name}: ${f.value}${f.target === undefined ? '' : `  (target ${f.target})`}`);
    }
    const failed = rows.filter((r) => r.state === 'failed').length;
    lines.push('', `${rows.length - failed} of ${rows.length} resilience checks passed`, '');
    console.log(lines.join('\n'));
    const out = process.env.RESILIENCE_JSON;
    if (out) {
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, `${JSON.stringify({ machine, at: new Date().toISOString(), rows }, null, 2)}\n`);
    }
  }
}
