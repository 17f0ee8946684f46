// The live routes table: rows stream in, filters narrow them, a row's button opens its explanation.

import { fill, h } from './dom.js';
import { clock, duration, fixed, TEMPERATURES } from './format.js';

/** Rows kept in the page (newest); the table shows the newest SHOWN of those that pass the filters. */
const KEEP = 1000;
const SHOWN = 200;

export class RoutesView {
  constructor({ onOpen, qualityOf }) {
    this.rows = new Map();
    this.onOpen = onOpen;
    this.qualityOf = qualityOf;
    this.form = document.getElementById('route-filters');
    this.body = document.querySelector('#routes-table tbody');
    this.count = document.getElementById('routes-count');
    this.form.addEventListener('input', () => this.render());
    this.form.addEventListener('submit', (e) => e.preventDefault());
  }

  /** New or updated rows (a route's status, server and feedback change after it is made). */
  upsert(rows, initial = false) {
    if (initial) this.rows.clear();
    for (const row of rows) this.rows.set(row.id, row);
    if (this.rows.size > KEEP) {
      const oldest = [...this.rows.values()].sort((a, b) => a.seq - b.seq).slice(0, this.rows.size - KEEP);
      for (const row of oldest) this.rows.delete(row.id);
    }
    if (!this.form.elements.pause.checked) this.render();
  }

  filters() {
    const f = this.form.elements;
    return ['team', 'role', 'session']
      .map((name) => [name, f[name].value.trim().toLowerCase()])
      .filter(([, value]) => value !== '');
  }

  render() {
    const filters = this.filters();
    const rows = [...this.rows.values()]
      .filter((r) => filters.every(([name, value]) => (r[name] ?? '').toLowerCase().includes(value)))
      .sort((a, b) => b.seq - a.seq);
    fill(
      this.body,
      rows.slice(0, SHOWN).map((r) => this.row(r)),
    );
    const narrowed =
      filters.length > 0 ? ` matching ${filters.map(([n, v]) => `${n} “${v}”`).join(', ')}` : '';
    this.count.textContent =
      rows.length > SHOWN
        ? `Newest ${SHOWN} of ${rows.length} routes${narrowed}`
        : `${rows.length} route${rows.length === 1 ? '' : 's'}${narrowed}`;
  }

  row(r) {
    const quality = this.qualityOf(r.role, r.model);
    const rated = r.feedback.count > 0 ? `${fixed(r.feedback.meanScore)} (${r.feedback.count})` : '—';
    return h(
      'tr',
      { 'data-route-id': r.id, 'data-status': r.status, class: r.explored ? 'explored' : undefined },
      h('td', { class: 'num' }, clock(r.at)),
      h(
        'td',
        {},
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            'aria-label': `Explain route ${r.id}`,
            onclick: () => this.onOpen(r.id),
          },
          r.id,
        ),
      ),
      h('td', {}, r.role ?? '—'),
      h('td', { class: 'opt' }, r.team ?? '—'),
      h('td', { class: 'opt' }, r.session ?? '—'),
      h('td', { class: 'opt' }, r.taskType),
      h(
        'td',
        {},
        `${r.model}@${r.node}`,
        r.explored ? h('span', { class: 'tag', title: 'explored' }, 'explored') : null,
      ),
      h(
        'td',
        {},
        h('span', { class: `status status-${r.status}`, title: r.error ?? undefined }, r.status),
        r.failovers > 0
          ? h('span', { class: 'tag' }, `${r.failovers} failover${r.failovers > 1 ? 's' : ''}`)
          : null,
      ),
      h('td', { class: 'num' }, duration(r.latencyMs)),
      h('td', { class: 'num' }, rated),
      h('td', {}, temperatureBadge(quality)),
    );
  }
}

/** The quality temperature of a (role, model) as a word on its colour, with what it rests on. */
export function temperatureBadge(q) {
  if (!q?.temperature) return h('span', { class: 'muted', title: 'not enough evidence yet' }, '—');
  const title = `${TEMPERATURES[q.temperature]}: learned ${fixed(q.mean)} (95% ${fixed(q.low)}–${fixed(q.high)}, evidence ${fixed(q.evidence, 1)})`;
  return h(
    'span',
    { class: `temp temp-${q.temperature}`, title, 'data-temperature': q.temperature },
    q.temperature,
  );
}
