/**
 * What lease-lock drivers share: telling whether a lease holder's process is still alive on this
 * host, and describing a holder from its lease row.
 */
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import type { LockHolderInfo } from '../../core/events.js';

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
