import type { RecoveryPoint } from '../../core/ports.js';
import type { PgSession } from './session.js';

/** Implements `Driver.recoveryPoint`: the current WAL insert position, for point-in-time recovery. */
export async function recoveryPoint(session: PgSession): Promise<RecoveryPoint> {
  try {
    const { rows } = await session.query<{ lsn: string; recovery: boolean }>('SELECT pg_current_wal_lsn()::text AS lsn, pg_is_in_recovery() AS recovery');
    const lsn = rows[0]?.lsn;
    if (lsn === undefined) return { kind: 'none', value: null, detail: 'PostgreSQL returned no WAL position' };
    return { kind: 'wal_lsn', value: lsn, detail: `PostgreSQL WAL LSN ${lsn}: restore a base backup and replay WAL with recovery_target_lsn = '${lsn}' to return to just before this run` };
  } catch (error) {
    return { kind: 'none', value: null, detail: `PostgreSQL did not give its WAL position: ${error instanceof Error ? error.message : String(error)}` };
  }
}
