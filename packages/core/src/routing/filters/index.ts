import type { Filter } from '../plugin.js';
import { capabilitiesFilter } from './capabilities.js';
import { contextWindowFilter } from './context-window.js';
import { cooldownFilter } from './cooldown.js';
import { escalationFilter } from './escalation.js';
import { healthFilter } from './health.js';
import { memoryHeadroomFilter } from './memory-headroom.js';
import { policyPinsFilter } from './policy-pins.js';
import { saturationFilter } from './saturation.js';

export {
  capabilitiesFilter,
  contextWindowFilter,
  cooldownFilter,
  escalationFilter,
  healthFilter,
  memoryHeadroomFilter,
  policyPinsFilter,
  saturationFilter,
};

/** Built-in filters in the order they run: cheap and decisive first, then saturation, then escalation (which needs to know what local candidates are left). */
export function defaultFilters(): Filter[] {
  return [
    policyPinsFilter(),
    healthFilter(),
    cooldownFilter(),
    capabilitiesFilter(),
    contextWindowFilter(),
    memoryHeadroomFilter(),
    saturationFilter(),
    escalationFilter(),
  ];
}
