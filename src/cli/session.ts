/**
 * What every command needs, built from the global options: the effective configuration, the
 * chosen driver (not yet connected), the event bus with its log subscriber, and the run context.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import { MigratorError, ProblemsError, sortProblems, type Problem } from '../core/errors.js';
import { authorize as authorizeCommand, type GuardedCommand } from '../core/policy.js';
import { recordDenial } from '../core/run/denial.js';
import { resolveActor, resolveCiJobUrl } from '../config/actor.js';
import { createEventBus, type EventSink, type MigratorEvent } from '../core/events.js';
import type { Migration, RunContext } from '../core/model.js';
import { checkFiles } from '../core/plan/index.js';
import type { Driver } from '../core/ports.js';
import { loadMigrations } from '../core/source/loader.js';
import type { Callback } from '../core/source/callbacks.js';
import type { SqlSyntax } from '../core/source/syntax.js';
import { redactUrl } from '../config/redact.js';
import { loadConfiguration, type LoadedConfig } from '../config/load.js';
import { readText } from '../config/layers.js';
import type { Config } from '../config/schema.js';
import { chooseDriver, type DriverChoice } from '../drivers/registry.js';
import { createLogger, type LogLevel } from '../observability/logger.js';
import { logEvents } from '../observability/log-events.js';
import { startTracing } from '../observability/tracing.js';
import { toolVersion } from '../version.js';
import { testLeaseMs } from '../config/test-lease.js';
import { createDeprecationReporter, type DeprecationReporter } from './deprecations.js';
import { createOutput, type CliIO, type Lifecycle, type Output } from './io.js';
import { startMetrics } from './metrics.js';
import { createModuleLoader } from './script-modules.js';

/** The global options, as commander parsed them. */
export interface GlobalOptions {
  readonly config?: string;
  readonly env?: string;
  readonly dotenv?: string;
  readonly url?: string;
  readonly dir?: ReadonlyArray<string>;
  readonly json?: boolean;
  readonly verbose?: boolean;
  readonly logLevel?: string;
  readonly lockTimeout?: string;
  readonly actor?: string;
  readonly reason?: string;
  readonly metricsFile?: string;
  readonly pushgateway?: string;
  readonly metricsPort?: string;
}

export interface Session {
  readonly config: Config;
  /** Which layer set each key, and the files read (for `migrate config`). */
  readonly loaded: LoadedConfig;
  readonly io: CliIO;
  readonly output: Output;
  readonly logger: Logger;
  readonly emit: EventSink;
  subscribe(listener: (event: MigratorEvent) => void): void;
  readonly context: RunContext;
  readonly driver: DriverChoice;
  /** The URL with its password masked, for messages. */
  readonly target: string;
  /** Deprecated features this run uses (each already warned about on stderr); see DEPRECATION.md. */
  readonly deprecations: DeprecationReporter;
  /**
   * Reads and parses every migration and checks the files among themselves (duplicates, missing
   * dependencies, cycles); throws ProblemsError (exit 5) before any connection when one is invalid.
   */
  loadMigrations(): Promise<{ migrations: ReadonlyArray<Migration>; syntax: SqlSyntax; callbacks: ReadonlyArray<Callback> }>;
  /** Reads and parses every migration and returns the problems instead of throwing. */
  inspectFiles(): Promise<{ migrations: ReadonlyArray<Migration>; problems: ReadonlyArray<Problem>; syntax: SqlSyntax; callbacks: ReadonlyArray<Callback> }>;
  /** Opens the one connection of this run; the caller closes it. */
  open(readOnly: boolean): Promise<Driver>;
  /**
   * Opens another database (the rehearsal's scratch database) with this run's settings but no
   * configured password: its URL carries its own credentials. The caller closes it.
   */
  openOther(url: string, readOnly: boolean): Promise<{ readonly driver: Driver; readonly target: string; readonly engine: string }>;
  /**
   * Leaves an audit row (`event`) for a command refused before it started, where the metadata
   * tables exist; never creates them, never throws.
   */
  auditRefusal(error: MigratorError, event: string): Promise<void>;
  /** Registers work to do once the command has ended, success or not (see `Lifecycle`). */
  onFinish: Lifecycle['onFinish'];
  /**
   * Checks roles, `rollback: disabled` and protected-environment confirmation for `command`.
   * A denial is audited (when the database has metadata) and thrown: E_NOT_PERMITTED, exit 9.
   */
  authorize(command: GuardedCommand, options: { readonly dryRun?: boolean | undefined; readonly confirm?: string | undefined }): Promise<void>;
}

/** Warns when an option's URL holds a password: other users of the machine see it in the process list. */
export function warnPasswordOnArgv(logger: Logger, option: string, url: string | undefined, instead: string): void {
  if (url !== undefined && /^[a-z][a-z0-9+.-]*:\/\/[^:@/]*:[^@]+@|[?&](?:password|pass|pwd)=[^&]/i.test(url)) {
    logger.warn(`the ${option} holds a password, which other users of this machine can see in the process list: use ${instead} instead`);
  }
}

/** Redacts values of --url (and the other options taking a URL) in the recorded command line. */
function commandLine(argv: ReadonlyArray<string>): string {
  const urlOptions = ['--url', '--scratch-url', '--pushgateway'];
  const secret = (arg: string, i: number): string =>
    urlOptions.includes(argv[i - 1] ?? '') ? redactUrl(arg) : /^--(?:(?:scratch-)?url|pushgateway)=/.test(arg) ? arg.replace(/=(.*)$/s, (_, url: string) => `=${redactUrl(url)}`) : arg;
  return ['migrate', ...argv.map(secret)].join(' ');
}

export async function createSession(globals: GlobalOptions, io: CliIO, argv: ReadonlyArray<string>, lifecycle: Lifecycle, command?: string): Promise<Session> {
  const loaded = await loadConfiguration({
    cwd: io.cwd,
    env: io.env,
    configFile: globals.config,
    envFile: globals.dotenv,
    environment: globals.env,
    secrets: io.secrets,
    flags: {
      url: globals.url,
      'migrations.dirs': globals.dir,
      'lock.timeout': globals.lockTimeout,
      actor: globals.actor,
      'log.level': globals.verbose && !globals.logLevel ? 'debug' : globals.logLevel,
      'metrics.file': globals.metricsFile,
      'metrics.pushgateway': globals.pushgateway,
      'metrics.port': globals.metricsPort === undefined ? undefined : readText('integer', globals.metricsPort, '--metrics-port'),
    },
  });
  const { config } = loaded;
  // On a terminal the human output already tells the story: logs default to warnings there, unless
  // some layer (file, .env, MIGRATOR_LOG_LEVEL, --log-level, --verbose) asked for a level.
  const chosen = loaded.origins.get('log.level') !== 'defaults';
  const level = (!chosen && io.stderrIsTTY ? 'warn' : config.log.level) as LogLevel;
  const logger = createLogger({ level, write: io.stderr, pretty: io.stderrIsTTY });
  const bus = createEventBus();
  const deprecations = createDeprecationReporter(io, argv, loaded, command);
  warnPasswordOnArgv(logger, '--url', globals.url, 'DATABASE_URL, password.file or password.command');
  warnPasswordOnArgv(logger, '--pushgateway', globals.pushgateway, 'MIGRATOR_METRICS_PUSHGATEWAY or metrics.pushgateway with ${env:...}');
  const driver = chooseDriver(config.url);
  const ciJobUrl = resolveCiJobUrl(io.env);
  const context: RunContext = {
    runId: randomUUID(),
    actor: resolveActor(config.actor, io.env),
    host: os.hostname(),
    pid: io.pid,
    environment: config.environment,
    command: io.secrets.scrub(commandLine(argv)),
    toolVersion: toolVersion(),
    now: () => new Date(),
    ...(globals.reason === undefined ? {} : { reason: io.secrets.scrub(globals.reason) }),
    ...(ciJobUrl === undefined ? {} : { ciJobUrl: io.secrets.scrub(ciJobUrl) }),
    redact: io.secrets.scrub,
  };
  // Every event's log line carries the run and the environment, whatever the event.
  bus.subscribe(logEvents(logger.child({ run_id: context.runId, environment: config.environment })));
  await startTracing({
    env: io.env, logger, secrets: io.secrets, subscribe: (listener) => void bus.subscribe(listener), onFinish: (finisher) => lifecycle.onFinish(finisher),
    runId: context.runId, command: context.command, environment: config.environment, dbSystem: driver.dbSystem, toolVersion: context.toolVersion,
  });
  await startMetrics({ config, logger, subscribe: (listener) => void bus.subscribe(listener), onFinish: (finisher) => lifecycle.onFinish(finisher), host: context.host, cwd: io.cwd });
  const inspectFiles = async () => {
    const syntax = await driver.syntax();
    const loaded = await loadMigrations({ dirs: config.migrations.dirs, layout: config.migrations.layout, syntax, cwd: io.cwd, placeholders: config.placeholders, modules: createModuleLoader() });
    return { migrations: loaded.migrations, problems: sortProblems(loaded.problems), syntax, callbacks: loaded.callbacks };
  };
  const server = {
    lockStrategy: config.lock.strategy,
    ddlLockTimeoutMs: config.execution.lockTimeoutMs,
    statementTimeoutMs: config.execution.statementTimeoutMs,
    applicationName: `migrator ${context.toolVersion} ${context.host} ${context.pid}`,
    leaseMs: testLeaseMs(io.env),
  };
  const open = (readOnly: boolean): Promise<Driver> => driver.open({ readOnly, cwd: io.cwd, password: loaded.password, server });
  const openOther: Session['openOther'] = async (url, readOnly) => {
    io.secrets.addUrl(url);
    const other = chooseDriver(url);
    return { driver: await other.open({ readOnly, cwd: io.cwd, server }), target: `${other.engine} ${redactUrl(url)}`, engine: other.engine };
  };
  const auditRefusal: Session['auditRefusal'] = async (error, event) => {
    // Only where the metadata exists: a refusal must create nothing.
    const format = await withOpen(open, true, async (driver) => (await driver.readState()).format).catch(() => undefined);
    if (format === undefined) return;
    await withOpen(open, false, (driver) => recordDenial(driver, context, error, { lockTimeoutMs: Math.min(config.lock.timeoutMs, 10_000), emit: bus.emit, signal: io.signal, event })).catch(() => undefined);
  };
  const authorize: Session['authorize'] = async (command, options) => {
    try {
      authorizeCommand({ command, dryRun: options.dryRun === true, actor: context.actor, environment: config.environment, protected: config.protected, rollback: config.rollback, roles: config.roles, confirm: options.confirm, reason: context.reason });
    } catch (error) {
      if (!(error instanceof MigratorError)) throw error;
      await auditRefusal(error, 'access.denied');
      throw error;
    }
  };
  return {
    config,
    loaded,
    io,
    output: createOutput(io, globals.json === true),
    logger,
    emit: bus.emit,
    subscribe: (listener) => void bus.subscribe(listener),
    context,
    driver,
    target: `${driver.engine} ${redactUrl(config.url)}`,
    deprecations,
    inspectFiles,
    open,
    openOther,
    onFinish: (finisher) => lifecycle.onFinish(finisher),
    authorize,
    auditRefusal,
    async loadMigrations() {
      const { migrations, problems, syntax, callbacks } = await inspectFiles();
      const all = [...problems, ...checkFiles(migrations).problems];
      if (all.length > 0) throw new ProblemsError(sortProblems(all));
      return { migrations, syntax, callbacks };
    },
  };
}

async function withOpen<T>(open: (readOnly: boolean) => Promise<Driver>, readOnly: boolean, work: (driver: Driver) => Promise<T>): Promise<T> {
  const driver = await open(readOnly);
  try {
    return await work(driver);
  } finally {
    await driver.close();
  }
}

/** Runs `work` with a connection that is always closed afterwards. */
export function withDriver<T>(session: Session, readOnly: boolean, work: (driver: Driver) => Promise<T>): Promise<T> {
  return withOpen(session.open, readOnly, work);
}
