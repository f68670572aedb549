/**
 * Turns an engine's "permission denied" on migrator's own metadata operations into E_PRIVILEGE
 * (exit 9) with what to grant. A migration's own statements are never wrapped: there a denial is a
 * failed migration.
 */
import { MigratorError } from '../../core/errors.js';

export type Privileged = <T>(operation: string, work: () => Promise<T>) => Promise<T>;

/** A wrapper for the driver `label`, recognising denials with `denied` and advising `hint`. */
export function guardPrivileges(label: string, denied: (error: unknown) => boolean, hint: string): Privileged {
  return async (operation, work) => {
    try {
      return await work();
    } catch (error) {
      if (!denied(error)) throw error;
      throw new MigratorError('E_PRIVILEGE', `${label}: permission denied while ${operation}: ${(error as Error).message}`, { hint });
    }
  };
}
