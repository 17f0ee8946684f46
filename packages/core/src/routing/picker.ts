/** Candidates kept with full per-factor detail in an explanation. */
export const EXPLAINED_CANDIDATES = 32;

/**
 * Indices of the best `limit` totals, best first (ties keep the earlier candidate first).
 * One pass with a small sorted buffer: O(n) for the usual case where few entries qualify.
 */
export function topIndices(totals: Float64Array, count: number, limit: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < count; i++) {
    const value = totals[i] as number;
    if (top.length === limit && value <= (totals[top[limit - 1] as number] as number)) continue;
    let at = top.length;
    while (at > 0 && value > (totals[top[at - 1] as number] as number)) at--;
    if (at === top.length) top.push(i);
    else top.splice(at, 0, i);
    if (top.length > limit) top.pop();
  }
  return top;
}

/**
 * Failover order after the chosen one: other nodes first (a failing node often fails for all its
 * models), best total first, then the remaining candidates.
 */
export function pickFallbacks(
  ranked: readonly number[],
  nodeOf: (i: number) => string | number,
  max: number,
): number[] {
  if (max <= 0 || ranked.length < 2) return [];
  const chosenNode = nodeOf(ranked[0] as number);
  const usedNodes = new Set<string | number>([chosenNode]);
  const picked: number[] = [];
  for (let r = 1; r < ranked.length && picked.length < max; r++) {
    const node = nodeOf(ranked[r] as number);
    if (usedNodes.has(node)) continue;
    usedNodes.add(node);
    picked.push(ranked[r] as number);
  }
  for (let r = 1; r < ranked.length && picked.length < max; r++) {
    if (!picked.includes(ranked[r] as number)) picked.push(ranked[r] as number);
  }
  return picked;
}
