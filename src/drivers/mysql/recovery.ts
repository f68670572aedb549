import type { RecoveryPoint } from '../../core/ports.js';
import type { MysqlSession } from './session.js';

interface MasterStatus {
  readonly File?: string;
  readonly Position?: number | string;
}

/**
 * Implements `Driver.recoveryPoint`: the binary log file and position (SHOW BINARY LOG STATUS, or
 * SHOW MASTER STATUS before MySQL 8.2 and on MariaDB; it needs REPLICATION CLIENT, or BINLOG
 * MONITOR on MariaDB 10.5+) and the GTID position (MariaDB @@gtid_binlog_pos, MySQL
 * @@gtid_executed), which anyone may read. Without binary logging there is no point to return to: said plainly.
 */
export async function recoveryPoint(session: MysqlSession): Promise<RecoveryPoint> {
  let logBin: unknown;
  try {
    logBin = await session.value('SELECT @@log_bin');
  } catch (error) {
    return { kind: 'none', value: null, detail: `MySQL did not say whether binary logging is on: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (Number(logBin) !== 1) {
    return { kind: 'none', value: null, detail: 'binary logging is off on this server (log_bin = OFF), so there is no binlog position to restore to: take a backup first (backup.command)' };
  }
  // MariaDB's GTID position, else MySQL's executed GTID set.
  const asText = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
  const gtid = await session.value('SELECT @@gtid_binlog_pos').then(asText, () => session.value('SELECT @@gtid_executed').then(asText, () => undefined));
  try {
    // MySQL 8.4 renamed it SHOW BINARY LOG STATUS (8.2+) and removed the old name.
    const [status] = await session.rows<MasterStatus>('SHOW BINARY LOG STATUS').catch(() => session.rows<MasterStatus>('SHOW MASTER STATUS'));
    if (status?.File !== undefined && status.Position !== undefined) {
      const position = `${status.File}:${String(status.Position)}`;
      return { kind: 'binlog', value: gtid === undefined ? position : `${position} gtid=${gtid}`, detail: `binary log position ${position}${gtid === undefined ? '' : ` (GTID ${gtid})`}: restore a backup and replay the binary logs with mysqlbinlog --stop-position=${String(status.Position)} ${status.File} to return to just before this run` };
    }
  } catch {
    // No REPLICATION CLIENT / BINLOG MONITOR privilege: the GTID position may still be known.
  }
  if (gtid !== undefined) {
    return { kind: 'binlog', value: `gtid=${gtid}`, detail: `GTID position ${gtid} (SHOW MASTER STATUS was not allowed for this user: grant REPLICATION CLIENT for the file and position)` };
  }
  return { kind: 'none', value: null, detail: 'the binary log position could not be read: grant this user REPLICATION CLIENT (BINLOG MONITOR on MariaDB 10.5+)' };
}
