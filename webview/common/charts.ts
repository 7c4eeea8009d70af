// Chart helpers shared by the panels that draw metric curves with Chart.js: the theme's text, grid,
// font and tooltip colours on a chart's options (a theme change restyles the chart in place), and
// the smoothing of a curve.
import type { Chart } from 'chart.js';
import type { ThemeColors } from './dom';

export type ChartThemeColors = Pick<ThemeColors, 'text' | 'grid' | 'font' | 'tooltipBg' | 'tooltipFg' | 'tooltipBorder'>;

/** Sets the text, font, axis (x and y) and tooltip colours of a line chart's options; does not redraw. */
export function applyChartColors<D>(chart: Chart<'line', D>, colors: ChartThemeColors): void {
  const options = chart.options;
  options.color = colors.text;
  options.font = { ...options.font, family: colors.font };
  for (const axis of ['x', 'y'] as const) {
    const scale = options.scales?.[axis];
    if (!scale) continue;
    scale.ticks = { ...scale.ticks, color: colors.text };
    scale.grid = { ...scale.grid, color: colors.grid };
    scale.border = { ...scale.border, color: colors.grid };
    if (scale.title) scale.title.color = colors.text;
  }
  const tooltip = options.plugins?.tooltip;
  if (tooltip) {
    tooltip.backgroundColor = colors.tooltipBg;
    tooltip.titleColor = colors.tooltipFg;
    tooltip.bodyColor = colors.tooltipFg;
    tooltip.borderColor = colors.tooltipBorder;
  }
}

/** Debiased exponential moving average (as TensorBoard's smoothing); gaps stay gaps. Weight 0: the points as they are. */
export function smooth(points: { x: number; y: number }[], weight: number): { x: number; y: number }[] {
  if (weight <= 0) return points;
  let last = 0;
  let n = 0;
  return points.map(({ x, y }) => {
    if (!Number.isFinite(y)) return { x, y: Number.NaN };
    last = last * weight + (1 - weight) * y;
    n++;
    return { x, y: last / (1 - weight ** n) };
  });
}
