// Colour scales and axis steps of the charts, map and heatmap.

/** Map fills, light to dark (the darkest steps carry the most visitors). */
export const MAP_COLOURS = ['#dbeafe', '#93c5fd', '#60a5fa', '#2563eb', '#1e3a8a'] as const;
/** Heatmap cells, from a few clicks (pale yellow) to the most (dark red). */
export const HEAT_COLOURS = ['#fde68a', '#fbbf24', '#f97316', '#dc2626', '#7f1d1d'] as const;

/**
 * The step (0-based) of a value on a scale of `steps` colours up to `max`. Square-root spacing, so a
 * country with a tenth of the top one's visitors is still visibly coloured; 0 → -1 (no colour).
 */
export function colourStep(value: number, max: number, steps: number): number {
  if (value <= 0 || max <= 0) return -1;
  return Math.min(steps - 1, Math.max(0, Math.ceil(Math.sqrt(value / max) * steps) - 1));
}

/** The lower bound of each step, for the legend: value at which step i begins. */
export function stepThresholds(max: number, steps: number): number[] {
  return Array.from({ length: steps }, (_, step) => (step === 0 ? 1 : Math.max(1, Math.floor(max * (step / steps) ** 2) + 1)));
}

/** A round upper bound for an axis (1, 2, 2.5 or 5 × 10ⁿ) and its ticks, at most `count` + 1. */
export function niceTicks(max: number, count = 4): { top: number; ticks: number[] } {
  if (max <= 0) return { top: 1, ticks: [0, 1] };
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((factor) => factor * magnitude >= raw) ?? 10) * magnitude;
  // Counts are whole: never a tick at 0.5.
  const wholeStep = Math.max(1, step);
  const top = Math.ceil(max / wholeStep) * wholeStep;
  const ticks: number[] = [];
  for (let tick = 0; tick <= top + wholeStep / 2; tick += wholeStep) ticks.push(tick);
  return { top, ticks };
}

/**
 * The legend of a colour scale up to `max`: each distinct step's lower bound and the colour
 * colourStep gives it (with a small max several steps share a bound; the legend shows it once).
 */
export function legendSteps(max: number, colours: readonly string[]): { from: number; colour: string; last: boolean }[] {
  const bounds = [...new Set(stepThresholds(max, colours.length))];
  return bounds.map((from, index) => ({ from, colour: colours[colourStep(from, max, colours.length)] ?? colours[0]!, last: index === bounds.length - 1 }));
}
