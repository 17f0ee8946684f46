// The dashboard page: signs in when the gateway has keys, keeps one event stream open
// (reconnecting with backoff) and hands each event to its view.

import { AuthError, apiKey, readEvents } from './api.js';
import { renderCluster } from './cluster-view.js';
import { openExplanation, setUpExplanation } from './explain-view.js';
import { LearningView } from './learning-view.js';
import { RoutesView } from './routes-view.js';

const EVENTS = '/v1/dashboard/events';

const conn = document.getElementById('conn');
const login = document.getElementById('login');
const signOut = document.getElementById('signout');

function status(state, text) {
  conn.dataset.state = state;
  conn.textContent = text;
}

const learning = new LearningView({ onOpen: openExplanation });
const routes = new RoutesView({
  onOpen: openExplanation,
  qualityOf: (role, model) => learning.qualityOf(role, model),
});
setUpExplanation();

const handlers = {
  hello: (d) => {
    document.body.dataset.view = d.view;
    document.getElementById('view-note').textContent =
      d.view === 'own'
        ? 'This key sees its own routes and feedback, and learned quality per model only.'
        : '';
  },
  cluster: renderCluster,
  routes: (d) => routes.upsert(d.rows, d.initial),
  feedback: (d) => learning.addFeedback(d.events),
  history: (d) => {
    learning.replaceHistory(d.learning);
    routes.render();
  },
  learning: (d) => {
    learning.add(d);
    routes.render();
  },
};

let controller;

async function connect() {
  let backoff = 1000;
  for (;;) {
    controller = new AbortController();
    status('connecting', 'Connecting…');
    try {
      let first = true;
      await readEvents(
        EVENTS,
        (event, data) => {
          if (first) {
            first = false;
            backoff = 1000;
            status('live', 'Live');
            login.hidden = true;
            signOut.hidden = !apiKey.get();
          }
          handlers[event]?.(data);
        },
        controller.signal,
      );
      status('reconnecting', 'Disconnected, reconnecting…');
    } catch (err) {
      if (controller.signal.aborted) return;
      if (err instanceof AuthError) {
        showLogin(apiKey.get() ? 'That key was refused.' : '');
        return;
      }
      status('reconnecting', `Disconnected (${err.message}), reconnecting…`);
    }
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(backoff * 2, 15_000);
  }
}

function showLogin(message) {
  apiKey.clear();
  status('signed-out', 'Signed out');
  signOut.hidden = true;
  login.hidden = false;
  document.getElementById('login-error').textContent = message;
  document.getElementById('key').focus();
}

document.getElementById('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = document.getElementById('key');
  apiKey.set(input.value.trim());
  input.value = '';
  document.getElementById('login-error').textContent = '';
  void connect();
});

signOut.addEventListener('click', () => {
  controller?.abort();
  showLogin('');
});

void connect();
