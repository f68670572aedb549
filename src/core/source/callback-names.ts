/**
 * The file names of SQL callbacks, Flyway's: `<event>.sql` or `<event>__<description>.sql` in a
 * migrations directory (`beforeMigrate.sql`, `afterEachMigrate__audit_log.sql`). Case matters, as
 * in Flyway: `BeforeMigrate.sql` is a misnamed migration, reported as such.
 */
import type { Direction } from '../events.js';

/** When a callback runs, independent of direction. */
export type CallbackPhase = 'before' | 'beforeEach' | 'afterEach' | 'after' | 'afterError';

/** Every callback event: the `Migrate` family runs for `up`, the `Undo` family for `down`. */
export const CALLBACK_EVENTS = [
  'beforeMigrate', 'beforeEachMigrate', 'afterEachMigrate', 'afterMigrate', 'afterMigrateError',
  'beforeUndo', 'beforeEachUndo', 'afterEachUndo', 'afterUndo', 'afterUndoError',
] as const;

export type CallbackEvent = (typeof CALLBACK_EVENTS)[number];

const PATTERN = new RegExp(`^(${CALLBACK_EVENTS.join('|')})(?:__(.+))?\\.sql$`);

/** The event a file name is a callback for, or `undefined` when it is not a callback's name. */
export function callbackEventOf(fileName: string): CallbackEvent | undefined {
  return PATTERN.exec(fileName)?.[1] as CallbackEvent | undefined;
}

/** The event of `phase` in `direction`: `before` + `up` is `beforeMigrate`, `afterError` + `down` is `afterUndoError`. */
export function callbackEvent(phase: CallbackPhase, direction: Direction): CallbackEvent {
  const family = direction === 'up' ? 'Migrate' : 'Undo';
  if (phase === 'afterError') return `after${family}Error`;
  return `${phase}${family}`;
}
