import type { RoleRule } from '../config/schema.js';
import type { TaskType } from '../context/agent-context.js';

/** Whether a role rule applies: role (case-insensitive, `*` any), team and task type when set. */
export function ruleMatches(
  rule: RoleRule,
  team: string | undefined,
  role: string | undefined,
  taskType: TaskType,
) {
  if (rule.role !== '*' && (role === undefined || rule.role.toLowerCase() !== role.toLowerCase()))
    return false;
  if (rule.team !== undefined && rule.team !== team) return false;
  if (rule.taskType !== undefined && rule.taskType !== taskType) return false;
  return true;
}

/** Matching rules, cached per (team, role, taskType) because the rule list is fixed per config. */
export class RoleRuleIndex {
  private readonly cache = new Map<string, RoleRule[]>();

  constructor(private readonly rules: readonly RoleRule[]) {}

  match(team: string | undefined, role: string | undefined, taskType: TaskType): readonly RoleRule[] {
    if (this.rules.length === 0) return this.rules;
    const key = `${team ?? ''}\u0001${role?.toLowerCase() ?? ''}\u0001${taskType}`;
    let matched = this.cache.get(key);
    if (!matched) {
      matched = this.rules.filter((rule) => ruleMatches(rule, team, role, taskType));
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(key, matched);
    }
    return matched;
  }
}
