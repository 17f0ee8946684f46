import { ValidationError } from '../errors.js';

/** Which captured interactions `export-data` writes; every field narrows (all absent: everything). */
export interface ExportFilter {
  /** ms since the epoch, inclusive (the route's time). */
  since?: number;
  until?: number;
  team?: string;
  /** Matched case-insensitively and trimmed, the way the router learns roles. */
  role?: string;
  /** Mean rating bounds, 0..1 inclusive; either one leaves unrated interactions out. */
  minRating?: number;
  maxRating?: number;
  ratedOnly?: boolean;
}

/** Roles are compared the way the router learns them. */
export const roleKey = (role: string): string => role.trim().toLowerCase();

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A time bound as typed on the command line: an ISO 8601 date or date-time (`2026-11-30`,
 * `2026-11-30T12:00:00Z`), or an age before `now` (`30m`, `12h`, `7d`, `2w`).
 */
export function parseTimeBound(text: string, now: number): number | undefined {
  const t = text.trim();
  const age = /^(\d{1,6})([mhdw])$/.exec(t);
  if (age) return now - Number(age[1]) * (UNIT_MS[age[2] as string] as number);
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Rejects a filter that can match nothing by construction (a typo more likely than intent). */
export function checkFilter(filter: ExportFilter): ExportFilter {
  if (filter.since !== undefined && filter.until !== undefined && filter.since > filter.until)
    throw new ValidationError('--since is later than --until: nothing could match', {
      hint: 'swap the two times',
    });
  if (filter.minRating !== undefined && filter.maxRating !== undefined && filter.minRating > filter.maxRating)
    throw new ValidationError('--min-rating is above --max-rating: nothing could match', {
      hint: 'ratings are 0..1; swap the two bounds',
    });
  return filter;
}

/** The SQL condition and its parameters for `filter` over the interactions table. */
export function filterSql(filter: ExportFilter): { where: string; params: Array<string | number> } {
  const parts: string[] = [];
  const params: Array<string | number> = [];
  if (filter.since !== undefined) {
    parts.push('at >= ?');
    params.push(filter.since);
  }
  if (filter.until !== undefined) {
    parts.push('at <= ?');
    params.push(filter.until);
  }
  if (filter.team !== undefined) {
    parts.push('team = ?');
    params.push(filter.team);
  }
  if (filter.role !== undefined) {
    parts.push('role_key = ?');
    params.push(roleKey(filter.role));
  }
  if (filter.ratedOnly || filter.minRating !== undefined || filter.maxRating !== undefined)
    parts.push('rating_n > 0');
  if (filter.minRating !== undefined) {
    parts.push('rating_sum >= ? * rating_n - 1e-9');
    params.push(filter.minRating);
  }
  if (filter.maxRating !== undefined) {
    parts.push('rating_sum <= ? * rating_n + 1e-9');
    params.push(filter.maxRating);
  }
  return { where: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}
