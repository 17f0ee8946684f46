import { type TIERS, tierForParameters } from '../config/tiers.js';
import { SIZE_PRIOR_FLOOR_PARAMETERS } from '../learning/cold-start.js';

type Tier = (typeof TIERS)[number];

/** Sizes must differ at least this much before ranking within the cluster says anything. */
const MIN_SPREAD = 2;

/**
 * The tier each sized model gets when `scan-models`/`init` write the config. Normally absolute,
 * from parameters (tierForParameters: small < 10B ≤ medium < 30B ≤ large). When every served model
 * is below the size prior's floor (≈0.27B: toy and test models, where the prior gives them all the
 * same capability) and their sizes differ, those models are ranked within the cluster instead, by
 * log size between the smallest and the largest served one: the lower third small, the upper
 * third large, so a cluster of toys still routes hard prompts to its biggest model. Real models
 * (at or above the floor) always keep their absolute tier.
 */
export function tiersFor(
  models: ReadonlyArray<{ id: string; parameters?: number | undefined }>,
  served: ReadonlySet<string>,
): Map<string, Tier> {
  const tiers = new Map<string, Tier>();
  const sized = models.filter((m): m is { id: string; parameters: number } => (m.parameters ?? 0) > 0);
  for (const m of sized) tiers.set(m.id, tierForParameters(m.parameters));
  const servedSizes = sized.filter((m) => served.has(m.id)).map((m) => m.parameters);
  if (servedSizes.length < 2 || servedSizes.some((p) => p >= SIZE_PRIOR_FLOOR_PARAMETERS)) return tiers;
  const low = Math.log(Math.min(...servedSizes));
  const high = Math.log(Math.max(...servedSizes));
  if (high - low < Math.log(MIN_SPREAD)) return tiers;
  for (const m of sized) {
    if (m.parameters >= SIZE_PRIOR_FLOOR_PARAMETERS) continue;
    const position = (Math.log(m.parameters) - low) / (high - low);
    tiers.set(m.id, position < 1 / 3 ? 'small' : position < 2 / 3 ? 'medium' : 'large');
  }
  return tiers;
}
