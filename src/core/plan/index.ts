/**
 * The planner: pure functions from migration files + history (+ target, policy) to what `status`
 * shows and what `up`/`down` run. No clock, no I/O; results are frozen.
 */
export type { DownTarget, EntryState, Inspection, Plan, PlanStep, Policy, StatusEntry, UpOptions } from './types.js';
export { inspect } from './inspect.js';
export { checkFiles } from './files.js';
export type { FileCheck } from './files.js';
export { planUp } from './planner.js';
export { planDown } from './plan-down.js';
export { compareMigrations, orderMigrations } from './graph.js';
export type { Ordering } from './graph.js';
