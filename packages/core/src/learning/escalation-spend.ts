import type { EscalationConfig, NodeEscalationConfig } from '../config/escalation-schema.js';

/**
 * Where spend on escalation nodes is kept (a StatsStore implements it): `addSpend` adds to a
 * team's total for one UTC day and resolves to the new total, which with a shared store (Redis)
 * includes what other gateways spent; `loadSpend` reads a day's totals at start.
 */
export interface SpendStore {
  addSpend?(day: string, team: string, amount: number): Promise<number>;
  loadSpend?(day: string): Promise<Record<string, number>>;
}

/** One team's escalation budget for the day, as GET /v1/status reports it. */
export interface TeamSpend {
  team: string;
  budget: number;
  spent: number;
  /** Estimated cost of escalated requests still in flight (held against the budget). */
  reserved: number;
}

export interface SpendReport {
  /** UTC day the totals are for (budgets reset at 00:00 UTC). */
  day: string;
  teams: TeamSpend[];
}

const DAY_MS = 86_400_000;

/** The UTC day of an epoch-ms time, as `YYYY-MM-DD`. */
export function utcDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** What a request costs on an escalation node: tokens × price per million. */
export function escalationCost(
  price: NodeEscalationConfig,
  promptTokens: number,
  completionTokens: number,
): number {
  return (promptTokens * price.costPerMillionInput + completionTokens * price.costPerMillionOutput) / 1e6;
}

/**
 * Each team's spend on escalation nodes today, read synchronously by the escalation filter.
 * An escalated route reserves its estimated cost until its outcome charges the real one (from the
 * response's usage), so concurrent escalations cannot together overshoot the budget by more than
 * their estimates were wrong. Totals are written through to the store; a day change starts at 0.
 */
export class EscalationSpend {
  private day = '';
  /** [dayStart, dayEnd) in epoch ms: a route's check compares numbers, not dates. */
  private dayStart = 0;
  private dayEnd = 0;
  private readonly spent = new Map<string, number>();
  private readonly reserved = new Map<string, number>();

  constructor(
    private readonly config: EscalationConfig,
    private readonly store: SpendStore | undefined,
  ) {}

  /** Today's totals from the store (call once before routing). */
  async load(now: number): Promise<void> {
    this.rollover(now);
    const totals = await this.store?.loadSpend?.(this.day);
    if (totals) for (const [team, amount] of Object.entries(totals)) this.spent.set(team, amount);
  }

  budgetOf(team: string): number {
    return this.config.budgetPerDay.teams[team] ?? this.config.budgetPerDay.default;
  }

  spentToday(team: string, now: number): number {
    this.rollover(now);
    return this.spent.get(team) ?? 0;
  }

  /** Budget left today after spend and in-flight reservations (may be negative). */
  remaining(team: string, now: number): number {
    return this.budgetOf(team) - this.spentToday(team, now) - (this.reserved.get(team) ?? 0);
  }

  reserve(team: string, amount: number): void {
    this.reserved.set(team, (this.reserved.get(team) ?? 0) + amount);
  }

  release(team: string, amount: number): void {
    const left = (this.reserved.get(team) ?? 0) - amount;
    if (left > 1e-12) this.reserved.set(team, left);
    else this.reserved.delete(team);
  }

  /** Adds a served request's cost; resolves once the store has it. */
  async charge(team: string, amount: number, now: number): Promise<void> {
    if (!(amount > 0)) return;
    this.rollover(now);
    const day = this.day;
    this.spent.set(team, (this.spent.get(team) ?? 0) + amount);
    const total = await this.store?.addSpend?.(day, team, amount);
    // A shared store's total includes other gateways' spend: take it (never going backwards).
    if (total !== undefined && day === this.day && total > (this.spent.get(team) ?? 0))
      this.spent.set(team, total);
  }

  report(now: number): SpendReport {
    this.rollover(now);
    const teams = new Set([
      ...Object.keys(this.config.budgetPerDay.teams),
      ...this.spent.keys(),
      ...this.reserved.keys(),
    ]);
    return {
      day: this.day,
      teams: [...teams].sort().map((team) => ({
        team,
        budget: this.budgetOf(team),
        spent: this.spent.get(team) ?? 0,
        reserved: this.reserved.get(team) ?? 0,
      })),
    };
  }

  private rollover(now: number): void {
    if (now >= this.dayStart && now < this.dayEnd) return;
    this.dayStart = now - (now % DAY_MS);
    this.dayEnd = this.dayStart + DAY_MS;
    const day = utcDay(now);
    if (day === this.day) return;
    this.day = day;
    this.spent.clear();
  }
}
