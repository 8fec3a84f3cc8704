/** The geometry of a horizontal bar chart: pure numbers, so the SVG needs no inline style. */

export interface BarInput {
  readonly label: string;
  readonly value: number;
}

export interface Bar extends BarInput {
  readonly y: number;
  /** Length of the bar, 0 to the plot width. */
  readonly width: number;
}

export interface BarChartLayout {
  readonly bars: readonly Bar[];
  /** The whole chart's height, for the viewBox. */
  readonly height: number;
  /** The value a full-width bar stands for (at least 1, so nothing divides by 0). */
  readonly max: number;
}

export interface BarChartOptions {
  /** Width available to the longest bar. */
  readonly plotWidth: number;
  readonly barHeight: number;
  readonly gap: number;
}

/**
 * One bar per row, longest for the largest value, scaled linearly from 0. Negative or non-finite
 * values draw no bar; a non-zero value gets at least one unit, so it is never invisible.
 */
export function layoutBars(rows: readonly BarInput[], options: BarChartOptions): BarChartLayout {
  const { plotWidth, barHeight, gap } = options;
  const values = rows.map((row) => (Number.isFinite(row.value) && row.value > 0 ? row.value : 0));
  const max = Math.max(1, ...values);
  const bars = rows.map((row, index) => {
    const value = values[index] ?? 0;
    const width = value === 0 ? 0 : Math.max(1, (value / max) * plotWidth);
    return { label: row.label, value: row.value, y: index * (barHeight + gap), width };
  });
  const height = rows.length === 0 ? 0 : rows.length * barHeight + (rows.length - 1) * gap;
  return { bars, height, max };
}
