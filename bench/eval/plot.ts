// The evaluation's figure: PGR against cost per policy (top) and cumulative regret over the
// trace (bottom). Plain SVG, drawn by hand like bench/cluster's figures.

export interface Series {
  label: string;
  color: string;
  /** [x, y] in data units, drawn as a line. */
  line: Array<[number, number]>;
  /** Measured operating points, drawn as dots. */
  dots?: Array<[number, number]>;
  dashed?: boolean;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  x: [number, number];
  y: [number, number];
  series: Series[];
}

const W = 760;
const PANEL_H = 380;
const M = { l: 70, r: 200, t: 40, b: 50 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const num = (v: number) => +v.toFixed(3);

function panel(p: Panel, top: number): string {
  const X = (v: number) => (M.l + ((v - p.x[0]) / (p.x[1] - p.x[0] || 1)) * (W - M.l - M.r)).toFixed(1);
  const Y = (v: number) =>
    (top + PANEL_H - M.b - ((v - p.y[0]) / (p.y[1] - p.y[0] || 1)) * (PANEL_H - M.t - M.b)).toFixed(1);
  const parts: string[] = [
    `<text x="${M.l}" y="${top + 24}" font-size="14">${esc(p.title)}</text>`,
    `<line x1="${M.l}" y1="${Y(p.y[0])}" x2="${W - M.r}" y2="${Y(p.y[0])}" stroke="#333"/>`,
    `<line x1="${M.l}" y1="${Y(p.y[0])}" x2="${M.l}" y2="${Y(p.y[1])}" stroke="#333"/>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const xv = p.x[0] + ((p.x[1] - p.x[0]) * i) / 5;
    const yv = p.y[0] + ((p.y[1] - p.y[0]) * i) / 5;
    parts.push(
      `<line x1="${X(xv)}" y1="${Y(p.y[0])}" x2="${X(xv)}" y2="${Y(p.y[1])}" stroke="#eee"/>`,
      `<text x="${X(xv)}" y="${+Y(p.y[0]) + 16}" text-anchor="middle" font-size="11">${num(xv)}</text>`,
      `<line x1="${M.l}" y1="${Y(yv)}" x2="${W - M.r}" y2="${Y(yv)}" stroke="#eee"/>`,
      `<text x="${M.l - 6}" y="${+Y(yv) + 4}" text-anchor="end" font-size="11">${num(yv)}</text>`,
    );
  }
  parts.push(
    `<text x="${(M.l + W - M.r) / 2}" y="${top + PANEL_H - 12}" text-anchor="middle" font-size="12">${esc(p.xLabel)}</text>`,
    `<text transform="translate(18 ${top + (M.t + PANEL_H - M.b) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(p.yLabel)}</text>`,
  );
  p.series.forEach((s, k) => {
    parts.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''} points="${s.line
        .map(([x, y]) => `${X(x)},${Y(y)}`)
        .join(' ')}"/>`,
      ...(s.dots ?? []).map(([x, y]) => `<circle cx="${X(x)}" cy="${Y(y)}" r="3.5" fill="${s.color}"/>`),
      `<line x1="${W - M.r + 12}" y1="${top + M.t + 10 + k * 20}" x2="${W - M.r + 36}" y2="${top + M.t + 10 + k * 20}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`,
      `<text x="${W - M.r + 42}" y="${top + M.t + 14 + k * 20}" font-size="11">${esc(s.label)}</text>`,
    );
  });
  return parts.join('\n');
}

export function svg(panels: readonly Panel[]): string {
  const H = PANEL_H * panels.length;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    ...panels.map((p, i) => panel(p, i * PANEL_H)),
    '</svg>',
    '',
  ].join('\n');
}
