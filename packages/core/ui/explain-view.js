// One route's full explanation (GET /v1/routes/{id}) in a dialog: what it was, the objective, each
// candidate's factor terms as bars, what the filters removed and the failover attempts.

import { getJson } from './api.js';
import { fill, h } from './dom.js';
import { duration, fixed } from './format.js';

const dialog = () => document.getElementById('explain');
const TOP = 6;

export async function openExplanation(routeId) {
  const d = dialog();
  const body = document.getElementById('explain-body');
  document.getElementById('explain-title').textContent = `Route ${routeId}`;
  fill(body, h('p', { class: 'muted' }, 'Loading…'));
  if (!d.open) d.showModal();
  try {
    const e = await getJson(`/v1/routes/${encodeURIComponent(routeId)}`);
    document.getElementById('explain-title').textContent =
      `Route ${routeId} → ${e.chosen.modelId}@${e.chosen.nodeId}`;
    fill(body, render(e));
  } catch (err) {
    fill(
      body,
      h('p', { role: 'alert', class: 'error-text' }, `Could not load the explanation: ${err.message}`),
    );
  }
}

export function setUpExplanation() {
  const d = dialog();
  d.querySelector('.close').addEventListener('click', () => d.close());
  // A click on the backdrop (outside the panel) closes it too.
  d.addEventListener('click', (e) => {
    if (e.target === d) d.close();
  });
}

function render(e) {
  const ctx = e.context ?? {};
  const complexity = Number.isFinite(e.analysis.complexity) ? fixed(e.analysis.complexity) : '—';
  return [
    h('p', { class: 'summary-line' }, e.summary),
    h(
      'dl',
      { class: 'facts' },
      fact('Role', ctx.role),
      fact('Team', ctx.team),
      fact('Session', ctx.sessionId),
      fact('Task type', e.analysis.taskType),
      fact('Complexity', complexity),
      fact('Profile', e.profile),
      fact('Objective', e.objective.description),
      fact('Explored', e.explored ? 'yes (Thompson sampling)' : 'no'),
      fact('Routed at', new Date(e.at).toLocaleString()),
    ),
    h('h3', {}, 'Attempts and failovers'),
    attempts(e.attempts),
    h('h3', {}, 'Per-factor contributions'),
    e.ranked.length === 0
      ? h('p', { class: 'muted' }, 'The ranking of this route was not kept (only the newest routes keep it).')
      : h(
          'p',
          { class: 'muted' },
          'Each candidate’s predicted quality is the sum of its quality terms (points); its predicted time the sum of its time terms (ms). Bars are scaled within each unit.',
        ),
    ...ranked(e),
    h('h3', {}, 'Filters'),
    filters(e.filters, e.candidates),
  ];
}

function fact(term, value) {
  if (value === undefined || value === null || value === '') return null;
  return [h('dt', {}, term), h('dd', {}, String(value))];
}

function attempts(list) {
  if (!list || list.length === 0)
    return h('p', { class: 'muted' }, 'No attempt recorded yet (still running, or never dispatched).');
  return h(
    'ol',
    { class: 'attempts' },
    list.map((a) =>
      h(
        'li',
        { 'data-ok': String(a.ok) },
        h('span', { class: `status status-${a.ok ? 'ok' : 'error'}` }, a.ok ? 'served' : 'failed'),
        ` ${a.modelId}@${a.nodeId}`,
        a.error ? h('span', { class: 'error-text' }, ` — ${a.error}`) : null,
      ),
    ),
  );
}

function ranked(e) {
  const top = e.ranked.slice(0, TOP);
  const values = (adds) =>
    top.flatMap((c) =>
      Object.values(c.terms)
        .filter((t) => t.adds === adds)
        .map((t) => Math.abs(t.value)),
    );
  const scale = { quality: Math.max(1e-9, ...values('quality')), time: Math.max(1e-9, ...values('time')) };
  const out = top.map((c, i) => {
    const chosen = c.nodeId === e.chosen.nodeId && c.modelId === e.chosen.modelId;
    return h(
      'section',
      { class: `candidate${chosen ? ' chosen' : ''}`, 'data-candidate': `${c.modelId}@${c.nodeId}` },
      h(
        'h4',
        {},
        `${i + 1}. ${c.modelId}@${c.nodeId}`,
        chosen ? h('span', { class: 'tag' }, 'chosen') : null,
        h(
          'span',
          { class: 'muted' },
          ` objective ${fixed(c.total)} · quality ${fixed(c.quality)} · ~${duration(c.timeMs)}`,
        ),
      ),
      h(
        'ul',
        { class: 'factor-bars', 'aria-label': `Factor terms of ${c.modelId}@${c.nodeId}` },
        Object.entries(c.terms)
          .filter(([, t]) => t.value !== 0 || t.note)
          .map(([name, t]) => bar(name, t, scale[t.adds])),
      ),
    );
  });
  if (e.rankedOmitted > 0)
    out.push(h('p', { class: 'muted' }, `${e.rankedOmitted} more candidates not listed.`));
  return out;
}

function bar(name, term, scale) {
  const width = Math.min(100, (Math.abs(term.value) / scale) * 100);
  const fillEl = h('span', { class: `bar-fill ${term.adds}${term.value < 0 ? ' negative' : ''}` });
  fillEl.style.width = `${width / 2}%`;
  const shown =
    term.adds === 'quality'
      ? `${term.value >= 0 ? '+' : ''}${fixed(term.value)}`
      : `${term.value >= 0 ? '+' : ''}${Math.round(term.value)} ms`;
  return h(
    'li',
    { class: 'bar', 'data-factor': name, 'data-value': term.value, 'data-adds': term.adds },
    h('span', { class: 'bar-label' }, name),
    h('span', { class: 'bar-track', 'aria-hidden': 'true' }, fillEl),
    h('span', { class: 'bar-value num' }, shown),
    term.note ? h('span', { class: 'bar-note muted' }, term.note) : null,
  );
}

function filters(verdicts, candidates) {
  const removing = verdicts.filter((v) => v.removed.length > 0);
  const passed = verdicts.filter((v) => v.removed.length === 0).map((v) => v.filter);
  return [
    h(
      'p',
      { class: 'muted' },
      `${candidates} candidates considered.${passed.length ? ` Removed nothing: ${passed.join(', ')}.` : ''}`,
    ),
    removing.length === 0
      ? null
      : h(
          'ul',
          { class: 'filters-list' },
          removing.map((v) =>
            h(
              'li',
              { 'data-filter': v.filter },
              h('strong', {}, v.filter),
              h(
                'ul',
                {},
                v.removed.map((r) => h('li', {}, `${r.modelId}@${r.nodeId}: ${r.reason}`)),
              ),
            ),
          ),
        ),
  ];
}
