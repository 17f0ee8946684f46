/** Label value for a request that carried no role (team). */
export const NO_LABEL = 'none';
/** Label value every role (team) beyond the top N is counted under. */
export const OTHER_LABEL = 'other';
/** Label values are cut to this length: a header is no place for a 10 KB series name. */
const MAX_LABEL_LENGTH = 100;

/**
 * Caps the distinct values of one metric label (roles, teams come from request headers): the
 * first `limit` values seen keep their name, every later one is `other`. Values kept stay kept,
 * so a series never changes its meaning while the gateway runs.
 */
export class LabelFold {
  private readonly kept = new Set<string>();

  constructor(
    readonly limit: number,
    seed: Iterable<string> = [],
  ) {
    for (const value of seed) this.fold(value);
  }

  fold(value: string | undefined): string {
    if (value === undefined || value === '') return NO_LABEL;
    const v = value.length > MAX_LABEL_LENGTH ? value.slice(0, MAX_LABEL_LENGTH) : value;
    if (this.kept.has(v)) return v;
    if (this.kept.size >= this.limit) return OTHER_LABEL;
    this.kept.add(v);
    return v;
  }
}
