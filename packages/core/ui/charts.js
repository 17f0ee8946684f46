// A small SVG line chart with optional confidence bands. SVG rather than a canvas library: every
// series is an element (data-series, data-last) that a screen reader can name and a test can read,
// and the page needs no build step or download.

import { h, s } from './dom.js';
import { clock } from './format.js';

/** Okabe–Ito colours: distinguishable with the common colour-vision deficiencies. */
export const PALETTE = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#7f3c8d',
  '#333333',
];

const W = 640;
const H = 220;
const PAD = { left: 58, right: 14, top: 12, bottom: 26 };

/**
 * Draws `series` ([{ id, label, points: [{ t, y, lo?, hi? }] }]) into `container`, replacing what
 * was there. `yMin`/`yMax` fix the scale (else 0 to the largest value); `format` prints a value.
 */
export function lineChart(container, { title, series, yMin, yMax, format = String, empty = 'No data yet' }) {
  const drawn = series.filter((x) => x.points.length > 0);
  const all = drawn.flatMap((x) => x.points);
  const legend = h('ul', { class: 'legend' });
  if (all.length === 0) {
    container.replaceChildren(h('p', { class: 'empty' }, empty));
    return;
  }
  let t0 = Math.min(...all.map((p) => p.t));
  let t1 = Math.max(...all.map((p) => p.t));
  if (t1 - t0 < 1000) {
    t0 -= 500;
    t1 += 500;
  }
  const lo = yMin ?? 0;
  const hi = yMax ?? niceMax(Math.max(...all.map((p) => p.hi ?? p.y)));
  const x = (t) => PAD.left + ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v) =>
    H - PAD.bottom - ((Math.min(Math.max(v, lo), hi) - lo) / (hi - lo || 1)) * (H - PAD.top - PAD.bottom);

  const grid = s('g', { class: 'grid', 'aria-hidden': 'true' });
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    grid.append(
      s('line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }),
      s('text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, format(v)),
    );
  }
  for (const [t, anchor] of [
    [t0, 'start'],
    [(t0 + t1) / 2, 'middle'],
    [t1, 'end'],
  ])
    grid.append(s('text', { x: x(t), y: H - 6, 'text-anchor': anchor }, clock(t)));

  const lines = s('g', { class: 'lines' });
  const said = [];
  drawn.forEach((line, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = [...line.points].sort((a, b) => a.t - b.t);
    const last = pts[pts.length - 1];
    const g = s('g', {
      class: 'series',
      'data-series': line.id,
      'data-points': pts.length,
      'data-last': last.y,
      ...(last.lo !== undefined ? { 'data-last-low': last.lo, 'data-last-high': last.hi } : {}),
    });
    const band = pts.filter((p) => p.lo !== undefined && p.hi !== undefined);
    if (band.length > 0) {
      const upper = band.map((p) => `${x(p.t)},${y(p.hi)}`);
      const lower = band.map((p) => `${x(p.t)},${y(p.lo)}`).reverse();
      g.append(s('polygon', { class: 'band', points: [...upper, ...lower].join(' '), fill: color }));
    }
    g.append(
      s('polyline', {
        class: 'line',
        points: pts.map((p) => `${x(p.t)},${y(p.y)}`).join(' '),
        stroke: color,
      }),
      s('circle', { class: 'dot', cx: x(last.t), cy: y(last.y), r: 3.5, fill: color }),
      s('title', {}, `${line.label}: ${format(last.y)}`),
    );
    lines.append(g);
    const range = last.lo !== undefined ? ` (${format(last.lo)}–${format(last.hi)})` : '';
    said.push(`${line.label} ${format(last.y)}${range}`);
    const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.background = color;
    legend.append(h('li', {}, swatch, `${line.label}: ${format(last.y)}${range}`));
  });

  const svg = s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title}. Latest: ${said.join('; ')}.` },
    grid,
    lines,
  );
  container.replaceChildren(svg, legend);
}

/** A round upper bound for a scale: 1, 2, 2.5 or 5 times a power of ten. */
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}
