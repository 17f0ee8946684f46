import { z } from 'zod';
import { strictObject } from './unknown-keys.js';

/**
 * `nodes[].escalation`: marks a node as a paid or remote endpoint the router escalates to only
 * when every local candidate is predicted red (or none can serve) and the team's budget allows.
 * Prices are per million tokens, as providers (and LiteLLM's model cost map) quote them.
 */
export const NodeEscalationSchema = strictObject({
  /** Price of 1M prompt tokens, in the budget's currency (USD unless you decide otherwise). */
  costPerMillionInput: z.number().min(0),
  /** Price of 1M completion tokens. */
  costPerMillionOutput: z.number().min(0),
});
export type NodeEscalationConfig = z.infer<typeof NodeEscalationSchema>;

/**
 * The top-level `escalation:` block: how much each team may spend on escalation nodes per UTC
 * day, like LiteLLM's team `max_budget` with `budget_duration: 1d`. `default` applies to every
 * team not listed (and to requests without a team); set it to 0 to let only the listed teams
 * escalate. Spend is kept in the stats store (shared through Redis, kept across restarts in SQLite).
 */
export const EscalationSchema = strictObject({
  budgetPerDay: strictObject({
    default: z.number().min(0).default(0),
    teams: z.record(z.string().min(1), z.number().min(0)).default({}),
  }).default({ default: 0, teams: {} }),
});
export type EscalationConfig = z.infer<typeof EscalationSchema>;
