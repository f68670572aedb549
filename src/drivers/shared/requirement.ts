/**
 * Builds the `PrivilegeCheck`s of `Driver.diagnose` from what an engine says is granted, so the
 * three drivers word them alike.
 */
import type { PrivilegeCheck, PrivilegeUse } from '../../core/ports.js';

/** A privilege and whether the engine grants it: `undefined` when it cannot tell. */
export type Grant = readonly [name: string, granted: boolean | undefined];

/**
 * One check: `SELECT, INSERT on app.migrator_history`. `why` says what migrator does with it;
 * `fix` turns the missing privileges into the statement (or command) that grants them.
 */
export function requirement(object: string, neededFor: PrivilegeUse, grants: ReadonlyArray<Grant>, why: string, fix: (missing: ReadonlyArray<string>) => string): PrivilegeCheck {
  const privilege = `${grants.map(([name]) => name).join(', ')} on ${object}`;
  const missing = grants.filter(([, granted]) => granted === false).map(([name]) => name);
  if (missing.length > 0) return { privilege, neededFor, ok: false, detail: `missing ${missing.join(', ')}: ${why}`, fix: fix(missing) };
  if (grants.some(([, granted]) => granted === undefined)) return { privilege, neededFor, ok: undefined, detail: `cannot tell whether it is granted: ${why}` };
  return { privilege, neededFor, ok: true, detail: 'granted' };
}
