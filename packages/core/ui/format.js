// How numbers and times read on the dashboard.

export const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });

export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function ago(at, now = Date.now()) {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

export const fixed = (x, digits = 2) => (x === null || x === undefined ? '—' : Number(x).toFixed(digits));

export const percent = (x) => (x === null || x === undefined ? '—' : `${Math.round(x * 100)}%`);

/** `*` is how the statistics say "every role". */
export const roleName = (role) => (role === '*' ? 'everyone' : role);

/** Temperature words with what they mean, for legends and titles. */
export const TEMPERATURES = {
  green: 'good, and confidently so',
  yellow: 'leaning good, not sure yet',
  orange: 'leaning poor, not sure yet',
  red: 'poor, and confidently so',
};
