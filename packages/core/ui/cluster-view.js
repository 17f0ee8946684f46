// The cluster: one card per node, the same numbers `broke-cluster status` prints (GET /v1/status).

import { fill, h } from './dom.js';
import { ago, clock } from './format.js';

const short = (model) => model.split('/').pop();

function memory(m) {
  if (!m) return '—';
  const parts = [];
  if (m.freeGb !== undefined) parts.push(`${m.freeGb} GiB free`);
  if (m.totalGb !== undefined) parts.push(`${m.totalGb} GiB total`);
  if (m.pressure) parts.push(`pressure ${m.pressure}`);
  return parts.join(', ') || '—';
}

function stateOf(node, now) {
  if (!node.up) return { key: 'down', label: 'down' };
  if (node.coolingDownUntil && node.coolingDownUntil > now) return { key: 'cooling', label: 'cooling down' };
  return { key: 'up', label: 'up' };
}

function item(term, ...value) {
  return [h('dt', {}, term), h('dd', {}, ...value)];
}

function load(used, of, label) {
  const meter = h('meter', { min: 0, max: Math.max(of, 1), value: used, 'aria-label': label });
  return [h('span', { class: 'num' }, `${used} / ${of}`), ' ', meter];
}

function card(node, now) {
  const state = stateOf(node, now);
  const error = node.lastError;
  return h(
    'li',
    { class: `node node-${state.key}`, 'data-node': node.id, 'data-state': state.key },
    h(
      'h3',
      {},
      h('span', { class: 'node-name' }, node.id),
      ' ',
      h('span', { class: `badge state-${state.key}` }, state.label),
    ),
    node.kind ? h('p', { class: 'muted' }, node.kind) : null,
    h(
      'dl',
      {},
      item('In flight', ...load(node.inFlight, node.capacity, `${node.id} in flight`)),
      item('Waiting in gateway', h('span', { class: 'num' }, String(node.waiting))),
      item('Server queue', h('span', { class: 'num' }, String(node.queued))),
      item(
        'Loaded',
        node.loadedModels === null ? 'not observable' : node.loadedModels.map(short).join(', ') || 'none',
      ),
      item('Validated', node.validatedModels.join(', ') || 'none'),
      item('Memory', memory(node.memory)),
      item('Last seen', node.lastSeen ? ago(node.lastSeen, now) : 'never'),
      error
        ? item(
            'Last error',
            h('span', { class: 'error-text' }, error.message),
            h('span', { class: 'muted' }, ` at ${clock(error.at)}`),
          )
        : null,
    ),
  );
}

export function renderCluster(snapshot) {
  const now = Date.now();
  const nodes = snapshot.nodes;
  const up = nodes.filter((n) => n.up).length;
  const inFlight = nodes.reduce((sum, n) => sum + n.inFlight, 0);
  const waiting = nodes.reduce((sum, n) => sum + n.waiting, 0);
  document.getElementById('cluster-summary').textContent =
    `${up} of ${nodes.length} nodes up · ${inFlight} in flight · ${waiting} waiting · as of ${clock(snapshot.at)}`;
  fill(
    document.getElementById('nodes'),
    nodes.map((n) => card(n, now)),
  );
}
