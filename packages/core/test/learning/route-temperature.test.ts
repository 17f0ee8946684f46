import { describe, expect, it } from 'vitest';
import { RoutingSchema, routeTemperature } from '../../src/index.js';

/** A medium-tier model on an easy prompt, well judged, first choice served. */
const base = {
  quality: 0.7,
  strength: 23,
  evidence: 20,
  complexity: 0.2,
  tier: 'medium',
  fellBack: false,
} as const;

describe('routeTemperature', () => {
  it('reads the predicted quality and its band: green, yellow, orange, red', () => {
    expect(routeTemperature({ ...base, quality: 0.85 })).toBe('green');
    expect(routeTemperature({ ...base, quality: 0.6 })).toBe('yellow');
    expect(routeTemperature({ ...base, quality: 0.45 })).toBe('orange');
    expect(routeTemperature({ ...base, quality: 0.15 })).toBe('red');
  });

  it('needs confidence for green and red: the same quality on little evidence is yellow/orange', () => {
    expect(routeTemperature({ ...base, quality: 0.85, strength: 3, evidence: 0 })).toBe('yellow');
    expect(routeTemperature({ ...base, quality: 0.15, strength: 3, evidence: 0 })).toBe('orange');
    // Some evidence but a wide band: not yet green.
    expect(routeTemperature({ ...base, quality: 0.75, strength: 5, evidence: 2 })).toBe('yellow');
  });

  it('a small-tier model on a hard prompt is at least orange until evidence says otherwise', () => {
    const hard = { ...base, quality: 0.85, complexity: 0.8, tier: 'small' } as const;
    expect(routeTemperature({ ...hard, strength: 5, evidence: 2 })).toBe('orange');
    expect(routeTemperature({ ...hard })).toBe('green');
    expect(routeTemperature({ ...hard, tier: 'large', strength: 5, evidence: 2 })).toBe('yellow');
    expect(routeTemperature({ ...hard, complexity: 0.3, strength: 5, evidence: 2 })).toBe('yellow');
  });

  it('a fallback is one step warmer, red stays red', () => {
    expect(routeTemperature({ ...base, quality: 0.85, fellBack: true })).toBe('yellow');
    expect(routeTemperature({ ...base, quality: 0.6, fellBack: true })).toBe('orange');
    expect(routeTemperature({ ...base, quality: 0.45, fellBack: true })).toBe('red');
    expect(routeTemperature({ ...base, quality: 0.15, fellBack: true })).toBe('red');
  });

  it('takes its thresholds from config, with defaults', () => {
    const defaults = RoutingSchema.parse({}).temperature;
    expect(defaults).toEqual({ good: 0.6, poor: 0.4, hardComplexity: 0.65, trustedEvidence: 5 });
    expect(routeTemperature({ ...base, quality: 0.85 }, { ...defaults, good: 0.9 })).toBe('yellow');
    expect(() => RoutingSchema.parse({ temperature: { good: 2 } })).toThrow();
  });
});
