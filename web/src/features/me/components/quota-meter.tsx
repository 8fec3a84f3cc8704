import type { Me } from '@/features/me/api/get-me';

const numberFormat = new Intl.NumberFormat();
const compactFormat = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

/** What the meter says in words, by state: nothing while well within the quota. */
const QUOTA_NOTES = {
  ok: '',
  low: 'Most of your monthly quota is used.',
  exhausted: 'Your monthly quota is used up. Ask an admin for more.',
} as const;

/** This month's tokens: used of the monthly quota, as a meter and in words. */
export function QuotaMeter({ quota }: { quota: Me['quota'] }) {
  const { monthlyTokens, usedTokens } = quota;
  const share = monthlyTokens > 0 ? usedTokens / monthlyTokens : 1;
  const state = share >= 1 ? 'exhausted' : share >= 0.8 ? 'low' : 'ok';
  return (
    <div className="quota" data-testid="quota" data-state={state}>
      <div className="quota__label">
        <span>Tokens this month</span>
        <span
          className="quota__numbers"
          title={`${numberFormat.format(usedTokens)} of ${numberFormat.format(monthlyTokens)}`}
        >
          {compactFormat.format(usedTokens)} / {compactFormat.format(monthlyTokens)}
        </span>
      </div>
      <meter
        className="quota__meter"
        min={0}
        max={Math.max(monthlyTokens, 1)}
        low={monthlyTokens * 0.8}
        high={monthlyTokens * 0.95}
        optimum={0}
        value={Math.min(usedTokens, monthlyTokens)}
        aria-label="Share of this month's tokens used"
        aria-valuetext={`${numberFormat.format(usedTokens)} of ${numberFormat.format(monthlyTokens)} tokens used`}
      />
      {/* Always on the page, so a screen reader announces the note when it appears or changes
          (a live region added with its text is not announced by every reader); its text
          changes only with the state, not with each reply's numbers. */}
      <p className="quota__note" role="status">
        {QUOTA_NOTES[state]}
      </p>
    </div>
  );
}
