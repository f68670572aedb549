import type { Command } from 'commander';
import { MigratorError, ProblemsError } from '../../core/errors.js';
import { diffLines, driftProblem, readDrift } from '../../core/drift.js';
import { inspect } from '../../core/plan/index.js';
import { runAcceptSchema } from '../../core/run/accept-schema.js';
import { readHistory } from '../../core/run/executor.js';
import { driftJson, driftNotes, recordedJson, renderDrift } from '../render/drift.js';
import { withDriver, type Session } from '../session.js';
import type { CommandEnv } from '../program.js';

interface VerifyOptions {
  readonly accept?: boolean;
  readonly confirm?: string;
}

/**
 * `migrate verify`: compares the live schema with the snapshot migrator recorded when it last
 * changed it, in a read-only session; exit 6 (E_SCHEMA_DRIFT) with the diff when they differ.
 * `--accept` records the live schema as the accepted one, under the lock, audited (admin, as repair).
 */
export function registerVerify(program: Command, env: CommandEnv): void {
  program
    .command('verify')
    .description('compare the live schema with the one migrator recorded after its last change (read-only); exit 6 on drift')
    .option('--accept', 'record the live schema as it is, ending the drift (admin, audited; as "repair")')
    .option('--confirm <environment>', 'with --accept: the name of the environment, required where it is protected')
    .action(async (options: VerifyOptions, command: Command) => {
      if (options.confirm !== undefined && !options.accept) command.error('--confirm goes with --accept: "migrate verify --accept --confirm <environment>"');
      const session = await env.session(command);
      if (options.accept) return accept(session, options.confirm);
      await session.authorize('verify', {});
      const files = await session.inspectFiles();
      const { history, report } = await withDriver(session, true, async (driver) => {
        const rows = (await readHistory(driver)).rows;
        return { history: rows, report: await readDrift(driver, rows) };
      });
      const pending = files.problems.length > 0 ? undefined : inspect(files.migrations, history, { outOfOrder: session.config.order === 'allow-out-of-order' })
        .entries.filter((e) => e.state === 'pending' || e.state === 'outdated').length;
      const notes = driftNotes(report, { history, pending, toolVersion: session.context.toolVersion });
      session.output.document({ ok: !report.drifted, target: session.target, recorded: recordedJson(report.recorded), live: report.live, drift: driftJson(report), notes });
      renderDrift(report, session.target, notes, session.output);
      // The diff is on stdout already: the error only sums it up.
      const problem = driftProblem(report, session.target, 0);
      if (problem) throw new ProblemsError([problem]);
    });
}

async function accept(session: Session, confirm: string | undefined): Promise<void> {
  await session.authorize('repair', { confirm });
  // An empty database where migrator never ran holds nothing to accept: a mistyped (SQLite) URL
  // must not become a new database with metadata tables.
  const empty = await withDriver(session, true, async (driver) => (await driver.readState()).format === undefined && (await driver.schemaSnapshot()).length === 0);
  if (empty) {
    throw new MigratorError('E_USAGE', `nothing to accept: ${session.target} is empty (no schema objects, no migrator metadata)`, {
      hint: 'Check the URL (--url, DATABASE_URL): it names a database where migrator never ran and nothing exists.',
    });
  }
  const { auditHead, ...accepted } = await withDriver(session, false, async (driver) => ({
    ...(await runAcceptSchema({ driver, context: session.context, emit: session.emit, signal: session.io.signal, lockTimeoutMs: session.config.lock.timeoutMs })),
    auditHead: await driver.readAuditHead(),
  }));
  const { record } = accepted;
  session.output.document({ ok: true, target: session.target, accepted: accepted.changed, recorded: recordedJson(record), drift: { added: accepted.diff.added, removed: accepted.diff.removed }, auditHead });
  if (!accepted.changed) {
    session.output.line(`Nothing to accept: the schema of ${session.target} matches the snapshot recorded at ${record.at} by run ${record.runId}.`);
    return;
  }
  session.output.line(`Accepted the schema of ${session.target} as it is (${record.lines.length} line${record.lines.length === 1 ? '' : 's'} recorded, audited)${accepted.previous ? `, replacing the snapshot of ${accepted.previous.at}` : ''}.`);
  for (const line of accepted.previous ? diffLines(accepted.diff) : []) session.output.line(`  ${line}`);
}
