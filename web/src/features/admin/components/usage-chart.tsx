import type { UsageRow } from '@/features/admin/api/get-usage';
import { numberFormat } from '@/features/admin/components/labels';
import { layoutBars } from '@/features/admin/utils/bar-chart';

const WIDTH = 720;
const LABEL_WIDTH = 220;
const VALUE_WIDTH = 90;
const BAR_HEIGHT = 18;
const GAP = 8;
const LABEL_CHARS = 24;

function shorten(label: string): string {
  return label.length > LABEL_CHARS ? `${label.slice(0, LABEL_CHARS - 1)}…` : label;
}

/**
 * Total tokens per row as horizontal bars, in plain SVG: geometry in attributes and colours in
 * the stylesheet, because the CSP forbids inline styles (and a chart library would be most of the
 * bundle for this).
 */
export function UsageChart({ rows, labelOf }: { rows: readonly UsageRow[]; labelOf(row: UsageRow): string }) {
  const { bars, height } = layoutBars(
    rows.map((row) => ({ label: labelOf(row), value: row.totalTokens })),
    { plotWidth: WIDTH - LABEL_WIDTH - VALUE_WIDTH, barHeight: BAR_HEIGHT, gap: GAP },
  );
  return (
    <svg
      className="usage-chart"
      viewBox={`0 0 ${WIDTH} ${height}`}
      width={WIDTH}
      height={height}
      role="img"
      aria-label="Total tokens per row"
      data-testid="usage-chart"
    >
      {bars.map((bar) => (
        <g key={bar.label}>
          <title>{`${bar.label}: ${numberFormat.format(bar.value)} tokens`}</title>
          <text
            className="usage-chart__label"
            x={LABEL_WIDTH - 8}
            y={bar.y + BAR_HEIGHT / 2}
            textAnchor="end"
          >
            {shorten(bar.label)}
          </text>
          <rect
            className="usage-chart__track"
            x={LABEL_WIDTH}
            y={bar.y}
            width={WIDTH - LABEL_WIDTH - VALUE_WIDTH}
            height={BAR_HEIGHT}
            rx={3}
          />
          <rect
            className="usage-chart__bar"
            x={LABEL_WIDTH}
            y={bar.y}
            width={bar.width}
            height={BAR_HEIGHT}
            rx={3}
          />
          <text className="usage-chart__value" x={LABEL_WIDTH + bar.width + 6} y={bar.y + BAR_HEIGHT / 2}>
            {numberFormat.format(bar.value)}
          </text>
        </g>
      ))}
    </svg>
  );
}
