/** One operating point of a policy: how long the work took and how good it was. */
export interface FrontierPoint {
  makespanSec: number;
  quality: number;
}

/**
 * The fastest makespan at which a frontier reaches `quality` (linear between its measured points),
 * or undefined when none of its points gets there: how two routers compare at equal quality.
 */
export function makespanAt(points: readonly FrontierPoint[], quality: number): number | undefined {
  const sorted = [...points].sort((a, b) => a.makespanSec - b.makespanSec);
  let best: number | undefined;
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i] as FrontierPoint;
    if (p.quality >= quality) best = Math.min(best ?? Number.POSITIVE_INFINITY, p.makespanSec);
    const q = sorted[i + 1];
    if (q && p.quality < quality && q.quality >= quality) {
      const t = (quality - p.quality) / (q.quality - p.quality);
      best = Math.min(best ?? Number.POSITIVE_INFINITY, p.makespanSec + t * (q.makespanSec - p.makespanSec));
    }
  }
  return best;
}
