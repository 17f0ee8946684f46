// Learning: per (role, model) learned quality with its confidence band over time, the quality
// table with its temperature, exploration share, feedback as it arrives, and speed per node × model.

import { lineChart } from './charts.js';
import { fill, h } from './dom.js';
import { clock, duration, fixed, percent, roleName } from './format.js';
import { temperatureBadge } from './routes-view.js';

/** Snapshots kept in the page (at 2 s each, 10 minutes). */
const KEEP = 300;
const FEEDBACK_SHOWN = 30;

export class LearningView {
  constructor({ onOpen }) {
    this.history = [];
    this.feedback = [];
    this.onOpen = onOpen;
    this.roleSelect = document.getElementById('quality-role');
    this.roleSelect.addEventListener('change', () => this.renderChart());
    this.renderFeedback();
  }

  /** The latest learned quality of a (role, model): the role's own line, else everyone's. */
  qualityOf(role, model) {
    const latest = this.history[this.history.length - 1];
    if (!latest) return undefined;
    const key = (role ?? '*').toLowerCase();
    return (
      latest.quality.find((q) => q.role === key && q.modelId === model) ??
      latest.quality.find((q) => q.role === '*' && q.modelId === model)
    );
  }

  replaceHistory(snapshots) {
    this.history = snapshots.slice(-KEEP);
    this.render();
  }

  add(snapshot) {
    this.history.push(snapshot);
    if (this.history.length > KEEP) this.history.shift();
    this.render();
  }

  addFeedback(events) {
    this.feedback = [...events.reverse(), ...this.feedback].slice(0, FEEDBACK_SHOWN);
    this.renderFeedback();
  }

  render() {
    this.renderRoles();
    this.renderChart();
    this.renderTable();
    this.renderExploration();
    this.renderPerf();
  }

  renderRoles() {
    const latest = this.history[this.history.length - 1];
    const roles = [...new Set((latest?.quality ?? []).map((q) => q.role))].sort((a, b) =>
      a === '*' ? -1 : b === '*' ? 1 : a.localeCompare(b),
    );
    const current = this.roleSelect.value || '*';
    const have = [...this.roleSelect.options].map((o) => o.value);
    if (have.join('\u0001') !== roles.join('\u0001'))
      fill(
        this.roleSelect,
        roles.map((r) => h('option', { value: r }, roleName(r))),
      );
    if (roles.includes(current)) this.roleSelect.value = current;
  }

  renderChart() {
    const role = this.roleSelect.value || '*';
    const byModel = new Map();
    for (const snap of this.history)
      for (const q of snap.quality) {
        if (q.role !== role) continue;
        if (!byModel.has(q.modelId)) byModel.set(q.modelId, []);
        byModel.get(q.modelId).push({ t: snap.at, y: q.mean, lo: q.low, hi: q.high });
      }
    lineChart(document.getElementById('quality-chart'), {
      title: `Learned quality of each model for ${roleName(role)}, with its 95% band`,
      series: [...byModel].map(([model, points]) => ({ id: `${role}|${model}`, label: model, points })),
      yMin: 0,
      yMax: 1,
      format: (v) => fixed(v),
      empty: 'Nothing learned yet: outcomes and feedback will show here.',
    });
  }

  renderTable() {
    const latest = this.history[this.history.length - 1];
    const rows = latest?.quality ?? [];
    fill(
      document.querySelector('#quality-table tbody'),
      rows.length === 0
        ? h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'Nothing learned yet.'))
        : rows.map((q) =>
            h(
              'tr',
              { 'data-role': q.role, 'data-model': q.modelId, 'data-mean': q.mean },
              h('td', {}, roleName(q.role)),
              h('td', {}, q.modelId),
              h('td', { class: 'num' }, fixed(q.mean)),
              h('td', { class: 'num' }, `${fixed(q.low)}–${fixed(q.high)}`),
              h('td', { class: 'num' }, fixed(q.evidence, 1)),
              h('td', {}, temperatureBadge(q)),
            ),
          ),
    );
  }

  renderExploration() {
    const routed = this.history.reduce((sum, s) => sum + s.exploration.routed, 0);
    const explored = this.history.reduce((sum, s) => sum + s.exploration.explored, 0);
    document.getElementById('exploration').textContent =
      routed === 0
        ? 'No routes while this page has been watching.'
        : `${percent(explored / routed)} of ${routed} routes explored (chosen by Thompson sampling rather than the best prediction).`;
    lineChart(document.getElementById('exploration-chart'), {
      title: 'Share of routes that explored, per snapshot',
      series: [
        {
          id: 'exploration',
          label: 'explored share',
          points: this.history
            .filter((s) => s.exploration.share !== null)
            .map((s) => ({ t: s.at, y: s.exploration.share })),
        },
      ],
      yMin: 0,
      yMax: 1,
      format: percent,
    });
  }

  renderPerf() {
    const series = (field) => {
      const byPair = new Map();
      for (const snap of this.history)
        for (const p of snap.perf) {
          if (p[field] === null) continue;
          const id = `${p.model}@${p.node}`;
          if (!byPair.has(id)) byPair.set(id, []);
          byPair.get(id).push({ t: snap.at, y: p[field] });
        }
      return [...byPair].map(([id, points]) => ({ id, label: id, points }));
    };
    lineChart(document.getElementById('ttft-chart'), {
      title: 'Time to first token (smoothed) by node and model',
      series: series('ttftMs'),
      format: duration,
      empty: 'No time to first token measured yet.',
    });
    lineChart(document.getElementById('latency-chart'), {
      title: 'Mean latency of the routes that finished, by node and model',
      series: series('latencyMs'),
      format: duration,
      empty: 'No route finished while this page has been watching.',
    });
  }

  renderFeedback() {
    fill(
      document.getElementById('feedback-list'),
      this.feedback.length === 0
        ? h('li', { class: 'muted' }, 'No feedback yet.')
        : this.feedback.map((f) => {
            const score = h('span', { class: 'score-fill' });
            score.style.width = `${Math.round(f.score * 100)}%`;
            return h(
              'li',
              { 'data-route-id': f.routeId, 'data-score': f.score },
              h('span', { class: 'num' }, clock(f.at)),
              ' ',
              h('strong', {}, f.role ?? 'no role'),
              ` rated ${f.model}@${f.node}: `,
              h('span', { class: 'num' }, fixed(f.score)),
              h('span', { class: 'score-track', 'aria-hidden': 'true' }, score),
              ' ',
              h(
                'button',
                { type: 'button', class: 'link', onclick: () => this.onOpen(f.routeId) },
                f.routeId,
              ),
            );
          }),
    );
  }
}
