/**
 * What lease-lock drivers share: telling whether a lease holder's process is still alive on this
 * host, and describing a holder from its lease row.
 */
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import type { LockHolderInfo } from '../../core/events.js';
import type { LeaseState } from '../../core/ports.js';

/**
 * Where a pid means this process's pids: the host plus, on Linux, the pid namespace. Containers
 * sharing the host's hostname (network_mode: host) still have pids of their own.
 */
export function pidScope(): string {
  try {
    return `${os.hostname()} ${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    return os.hostname();
  }
}

/** Whether `pid` runs here: signal 0 probes without signalling; EPERM means alive but not ours. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** The lease-row columns that describe a holder. */
export interface HolderColumns {
  readonly run_id: string | null;
  readonly host: string | null;
  readonly pid: number | null;
  readonly actor: string | null;
  /** Epoch milliseconds, a Date, or ISO text, as the engine returns it. */
  readonly acquired_at: Date | number | string | null;
}

/** The holder named by a lease row; `undefined` when the row is absent or free. */
export function holderOf(row: HolderColumns | undefined): LockHolderInfo | undefined {
  if (row === undefined || row.run_id === null) return undefined;
  return {
    owner: row.run_id,
    ...(row.host === null ? {} : { host: row.host }),
    ...(row.pid === null ? {} : { pid: Number(row.pid) }),
    ...(row.actor === null ? {} : { user: row.actor }),
    ...(row.acquired_at === null ? {} : { since: new Date(row.acquired_at).toISOString() }),
  };
}

/** A lease row's columns as `inspectLock` reads them. */
export interface LeaseColumns extends HolderColumns {
  /** `undefined` where the engine's lease records no pid scope (PostgreSQL). */
  readonly pid_scope?: string | null;
  readonly generation: number | string | bigint;
  readonly heartbeat_at: Date | number | string | null;
  readonly expires_at: Date | number | string | null;
}

/** ISO-8601 text of an epoch-milliseconds number (or numeric text), a Date, or a date string. */
function iso(value: Date | number | string | null): string | undefined {
  if (value === null) return undefined;
  const date = value instanceof Date ? value : new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * The port's view of a held lease row. `expired` comes from the caller (the lease's own clock);
 * the pid is probed only when the row's pid scope is `scope`, this process's.
 */
export function leaseStateOf(row: LeaseColumns & { readonly run_id: string }, expired: boolean, scope: string | undefined): LeaseState {
  const local = scope !== undefined && row.pid_scope === scope && row.pid !== null;
  return {
    runId: row.run_id,
    generation: String(row.generation),
    heartbeatAt: iso(row.heartbeat_at),
    expiresAt: iso(row.expires_at),
    expired,
    process: !local ? 'unknown' : pidAlive(Number(row.pid)) ? 'alive' : 'gone',
  };
}
