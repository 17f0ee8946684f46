import type { ComplexityBand } from '../../analysis/complexity.js';
import type { QualityStat, StatKey } from '../../learning/quality-stat.js';
import type { Delta, Row } from './mirror.js';

/**
 * Fields of a statistic's hash, in the order scripts and `readAll` return them. `band` is last so
 * that the first nine positions mean what they meant before bands existed; a hash without `band`
 * (written by a version before complexity bands) is ignored when read (see `parseRows`).
 */
export const ROW_FIELDS = [
  'team',
  'role',
  'taskType',
  'modelId',
  'alpha',
  'beta',
  'n',
  'updatedAt',
  'v',
  'band',
] as const;

const BANDS: ReadonlySet<string> = new Set<ComplexityBand>(['low', 'medium', 'high']);

/**
 * KEYS: 1 stat index set, 2 outcome stream, 3 origin sequence key, then one route list per
 * outcome (the outcome's records by route id, expiring), then the stat hashes.
 * ARGV: 1 channel, 2 origin, 3 seq, 4 max outcomes, 5 outcome count, 6 route TTL s, outcomes…,
 * then per stat team, role, taskType, modelId, band, Δalpha, Δbeta, Δn, updatedAt.
 * A batch whose seq this origin already applied (a retry after a lost reply) changes nothing.
 * Evidence is added (HINCRBYFLOAT), never overwritten, so gateways do not lose each other's.
 * Deltas may be negative (discounting shrinks alpha and beta); a sum below 0 is clamped to 0.
 */
export const APPLY_LUA = `
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local seq = tonumber(ARGV[3])
local fresh = seq > last
if fresh then redis.call('SET', KEYS[3], ARGV[3], 'EX', 604800) end
local nout = tonumber(ARGV[5])
local i = 7
if fresh then
  for j = 1, nout do
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'o', ARGV[i + j - 1])
    redis.call('RPUSH', KEYS[3 + j], ARGV[i + j - 1])
    redis.call('EXPIRE', KEYS[3 + j], ARGV[6])
  end
end
i = i + nout
local rows = {}
for k = 4 + nout, #KEYS do
  local key = KEYS[k]
  if fresh then
    redis.call('HSET', key, 'team', ARGV[i], 'role', ARGV[i + 1], 'taskType', ARGV[i + 2], 'modelId', ARGV[i + 3], 'band', ARGV[i + 4])
    if tonumber(redis.call('HINCRBYFLOAT', key, 'alpha', ARGV[i + 5])) < 0 then redis.call('HSET', key, 'alpha', '0') end
    if tonumber(redis.call('HINCRBYFLOAT', key, 'beta', ARGV[i + 6])) < 0 then redis.call('HSET', key, 'beta', '0') end
    if redis.call('HINCRBY', key, 'n', ARGV[i + 7]) < 0 then redis.call('HSET', key, 'n', '0') end
    if tonumber(ARGV[i + 8]) > tonumber(redis.call('HGET', key, 'updatedAt') or '0') then
      redis.call('HSET', key, 'updatedAt', ARGV[i + 8])
    end
    redis.call('HINCRBY', key, 'v', 1)
    redis.call('SADD', KEYS[1], key)
  end
  rows[#rows + 1] = redis.call('HMGET', key, ${ROW_FIELDS.map((field) => `'${field}'`).join(', ')})
  i = i + 9
end
if fresh and #rows > 0 then
  redis.call('PUBLISH', ARGV[1], cjson.encode({o = ARGV[2], q = seq, s = rows}))
end
return cjson.encode(rows)
`;

/** The keys one store uses, all under its prefix. */
export interface StoreKeys {
  index: string;
  outcomes: string;
  /** This process's last applied batch sequence number. */
  origin: string;
  channel: string;
}

export function storeKeys(prefix: string, origin: string): StoreKeys {
  return {
    index: `${prefix}stats`,
    outcomes: `${prefix}outcomes`,
    origin: `${prefix}origin:${origin}`,
    channel: `${prefix}updates`,
  };
}

/** The list holding one route's records. */
export function routeKey(prefix: string, routeId: string): string {
  return `${prefix}route:${routeId}`;
}

/** One hash per statistic; keys of versions before bands had four parts and are never written. */
export function statHashKey(prefix: string, stat: StatKey): string {
  const part = encodeURIComponent;
  return `${prefix}stat:${part(stat.team)}|${part(stat.role)}|${part(stat.taskType)}|${part(stat.modelId)}|${part(stat.band)}`;
}

/** What one batch carries to `APPLY_LUA`. */
export interface ApplyBatch {
  seq: number;
  /** Outcome records, JSON-encoded. */
  outcomes: readonly string[];
  /** The route id of each outcome, in the same order. */
  routeIds: readonly string[];
  deltas: Iterable<Delta>;
}

export interface ApplySettings {
  prefix: string;
  keys: StoreKeys;
  origin: string;
  maxOutcomes: number;
  routeTtlSec: number;
}

/** The arguments of one `APPLY_LUA` call: the number of keys, then keys, then ARGV. */
export function applyArgs(settings: ApplySettings, batch: ApplyBatch): [number, ...Array<string | number>] {
  const statKeys: string[] = [];
  const statArgs: Array<string | number> = [];
  for (const delta of batch.deltas) {
    statKeys.push(statHashKey(settings.prefix, delta));
    statArgs.push(
      delta.team,
      delta.role,
      delta.taskType,
      delta.modelId,
      delta.band,
      delta.alpha,
      delta.beta,
      delta.n,
      delta.updatedAt,
    );
  }
  const { keys } = settings;
  return [
    3 + batch.outcomes.length + statKeys.length,
    keys.index,
    keys.outcomes,
    keys.origin,
    ...batch.routeIds.map((id) => routeKey(settings.prefix, id)),
    ...statKeys,
    keys.channel,
    settings.origin,
    batch.seq,
    settings.maxOutcomes,
    batch.outcomes.length,
    settings.routeTtlSec,
    ...batch.outcomes,
    ...statArgs,
  ];
}

/** Rows as HMGET of `ROW_FIELDS` returns them (script reply, notification or re-read). */
export function parseRows(raw: unknown): Row[] {
  if (!Array.isArray(raw)) return [];
  const rows: Row[] = [];
  for (const values of raw) {
    if (!Array.isArray(values) || values.length < ROW_FIELDS.length) continue;
    const [team, role, taskType, modelId, alpha, beta, n, updatedAt, v, band] = values as Array<
      string | null
    >;
    if (
      typeof team !== 'string' ||
      typeof role !== 'string' ||
      typeof taskType !== 'string' ||
      typeof modelId !== 'string' ||
      // No band: written before complexity bands; that evidence was not conditioned on difficulty.
      typeof band !== 'string' ||
      !BANDS.has(band)
    )
      continue;
    rows.push({
      team,
      role,
      taskType: taskType as QualityStat['taskType'],
      modelId,
      band: band as ComplexityBand,
      alpha: Number(alpha ?? 0),
      beta: Number(beta ?? 0),
      n: Number(n ?? 0),
      updatedAt: Number(updatedAt ?? 0),
      v: Number(v ?? 0),
    });
  }
  return rows;
}
