import { RetentionRunError } from '../../functions/conversations/retention/purge-conversations';
import { errorSummary, type ErrorSummary } from '../../functions/shared/http/error-handler';

/**
 * The local server's retention run (at start, then daily): `run` as given, a failure printed for
 * the operator and never thrown, so that neither the start nor the daily timer breaks on it.
 */
export function localRetentionRun(
  run: () => Promise<unknown>,
  print: (text: string) => void = (text) => console.error(text),
): () => Promise<void> {
  return async () => {
    try {
      await run();
    } catch (error) {
      print(retentionFailureText(error));
    }
  };
}

/**
 * What an operator needs of a failed run, on a few lines: the error's name and message; for a run
 * that failed part-way the abandoned replies it charged and what it erased before (committed for
 * good) and whether the audit event that records the erasure is missing; then each cause (the
 * driver's error: name, message, code). No stack, and any credentials in a URL cut out: the
 * database's URL may be in a driver's message.
 */
export function retentionFailureText(error: unknown): string {
  const summary = errorSummary(error);
  const lines = [`Retention run failed: ${headline(summary)}`];
  if (error instanceof RetentionRunError) {
    const { chargedAbandonedReplies, ...counts } = error.erased;
    if (chargedAbandonedReplies !== undefined)
      lines.push(`  abandoned replies charged before it failed (committed): ${chargedAbandonedReplies}`);
    const erased = Object.entries(counts)
      .map(([name, count]) => `${name} ${count}`)
      .join(', ');
    lines.push(`  erased before it failed (committed): ${erased || 'nothing'}`);
    if (error.auditMissing)
      lines.push(
        '  the audit event that records what was erased could not be written: it is not in the audit log',
      );
  }
  for (let cause = summary.cause; cause; cause = cause.cause) lines.push(`  cause: ${headline(cause)}`);
  return lines.join('\n');
}

const headline = ({ name, message, code }: ErrorSummary) =>
  `${name}: ${message || '(no message)'}${code === undefined ? '' : ` [${code}]`}`;
