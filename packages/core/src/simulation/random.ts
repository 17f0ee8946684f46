/**
 * Seeded randomness for the simulation. Everything that varies between runs (workload, judge
 * noise, random routing) draws from here, so one seed reproduces a run exactly, in the wall-clock
 * emulation and in the discrete-event simulator alike. Not cryptographic; fast and portable.
 */

import { Prng } from '../learning/prng.js';

/** 32-bit FNV-1a of a string: stable across processes and platforms (keys, sub-seeds). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The router's generator (mulberry32) with the few helpers the workload generators need. */
export class Rng extends Prng {
  /** A generator for a named sub-stream: adding draws to one stream never shifts another. */
  static derive(seed: number, ...keys: Array<string | number>): Rng {
    return new Rng(hashString(`${seed}:${keys.join(':')}`));
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer uniform in [lo, hi] (both ends included). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Up to `n` distinct items, in random order. */
  sample<T>(items: readonly T[], n: number): T[] {
    const pool = [...items];
    const out: T[] = [];
    while (out.length < n && pool.length > 0)
      out.push(pool.splice(Math.floor(this.next() * pool.length), 1)[0] as T);
    return out;
  }

  /** A key of `weights` with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as Array<[K, number]>;
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [k, w] of entries) {
      r -= w;
      if (r < 0) return k;
    }
    return (entries[entries.length - 1] as [K, number])[0];
  }

  /** Standard normal (Box-Muller; this form keeps the benchmark's seeded draws as published). */
  override normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}
