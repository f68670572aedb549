/**
 * What the server drivers' leases (`lock.strategy: table`) share about their heartbeat: it renews
 * the lease on a second, dedicated connection, so a statement that runs longer than the lease on
 * the run's own connection does not let the lease expire while its holder is alive. See ADR 0004,
 * amendment of 2026-11-21.
 */
import { MigratorError } from '../../core/errors.js';
import type { ServerDriverOptions } from '../../core/ports.js';

/** Appended to the run's application name (PostgreSQL application_name, MySQL program_name). */
export const HEARTBEAT_SUFFIX = ' heartbeat';

/** How often a lease of `leaseMs` is renewed: three beats per lease, so one missed beat is harmless. */
export function beatIntervalMs(leaseMs: number): number {
  return Math.max(1, Math.floor(leaseMs / 3));
}

/**
 * The options of the heartbeat connection: the run's own (URL, password, TLS, connect timeout),
 * writable, named `<run's application name> heartbeat`, and with lock and statement timeouts of one
 * beat, so a renewal that waits behind the run's own open transaction (its fenced history write
 * locks the lease row until it commits) gives up before the next beat instead of piling up.
 */
export function heartbeatOptions(options: ServerDriverOptions, leaseMs: number, applicationName: string): ServerDriverOptions {
  const beatMs = beatIntervalMs(leaseMs);
  return { ...options, readOnly: false, applicationName, ddlLockTimeoutMs: beatMs, statementTimeoutMs: beatMs };
}

/**
 * The error of a heartbeat connection that could not be opened: the lease is not taken, because
 * without its heartbeat a long statement would lose it. `cause` is the driver's E_CONNECT.
 */
export function heartbeatConnectError(label: string, cause: unknown): MigratorError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new MigratorError('E_CONNECT', `cannot open the lease heartbeat connection to ${label}: ${reason}`, {
    hint: 'lock.strategy: table renews its lease on a second connection of its own, so that a long statement cannot let the lease expire. Allow migrator two connections (max_connections, max_user_connections, the pooler\'s pool size), or use lock.strategy: advisory where session locks work.',
    cause,
  });
}

/** What the heartbeat needs of a connection: the run's own, or its dedicated one. */
export interface BeatSession {
  readonly dead: boolean;
  readonly inTransaction: boolean;
  close(): Promise<void>;
}

/**
 * A lease's heartbeat: every `intervalMs`, one renewal at a time (one still waiting when the next
 * is due is not joined by another), on the heartbeat's own connection. That connection is free
 * while the run's connection executes a statement or sits in a transaction (whose fenced writes
 * extend the lease as well). Should it be lost mid-run, renewals fall back to the run's connection
 * while that is idle and outside a transaction (which the UPDATE would join). None once the run's
 * connection is dead: a lease must not outlive the connection the run works on.
 */
export class LeaseHeartbeat<S extends BeatSession> {
  private timer: NodeJS.Timeout | undefined;
  private beating = false;
  private own: S | undefined;

  /**
   * `run`: the run's connection, labelled `label`; `open`: opens the heartbeat's connection;
   * `renew`: one renewal on the connection given, which must not throw (it says why not).
   */
  constructor(
    private readonly run: S,
    private readonly label: string,
    private readonly open: () => Promise<S>,
    private readonly intervalMs: number,
    private readonly renew: (on: S) => Promise<void>,
  ) {}

  /**
   * Opens the heartbeat's connection unless it is open: called before a lease is taken, since a
   * lease without it would expire under a long statement, the failure it prevents.
   *
   * @throws MigratorError E_CONNECT ({@link heartbeatConnectError}) when it cannot be opened.
   */
  async ready(): Promise<void> {
    if (this.own !== undefined && !this.own.dead) return;
    await this.own?.close();
    this.own = undefined;
    try {
      this.own = await this.open();
    } catch (error) {
      throw heartbeatConnectError(this.label, error);
    }
  }

  /** Starts (or restarts) the timer. */
  start(): void {
    this.stop();
    // unref: a forgotten unlock must not keep the process alive.
    this.timer = setInterval(() => void this.tick(), this.intervalMs).unref();
  }

  /** Stops the timer; the connection stays open for the next lease of this run. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops the timer and closes the heartbeat's connection. Never throws. */
  async close(): Promise<void> {
    this.stop();
    await this.own?.close();
    this.own = undefined;
  }

  private async tick(): Promise<void> {
    if (this.beating || this.run.dead) return;
    const on = this.own !== undefined && !this.own.dead ? this.own : this.run.inTransaction ? undefined : this.run;
    if (on === undefined) return;
    this.beating = true;
    try {
      await this.renew(on);
    } finally {
      this.beating = false;
    }
  }
}
