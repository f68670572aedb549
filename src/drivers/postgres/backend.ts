import type { LockSession } from '../../core/ports.js';

/** The pg_stat_activity columns that describe a backend (NULL where the user may not see them). */
export interface BackendColumns {
  readonly application_name: string | null;
  readonly client_addr: string | null;
  readonly client_port: number | null;
  readonly backend_start: Date | null;
  readonly state: string | null;
}

/** The server session of backend `pid`, as unlock and doctor name it, with the statement that ends it. */
export function backendSession(pid: number, row: BackendColumns): LockSession {
  return {
    id: pid,
    applicationName: row.application_name ?? undefined,
    client: row.client_addr === null ? undefined : `${row.client_addr}${row.client_port === null ? '' : `:${row.client_port}`}`,
    connectedAt: row.backend_start?.toISOString(),
    state: row.state ?? undefined,
    terminate: `SELECT pg_terminate_backend(${pid})`,
  };
}
