import { Option, type Command } from 'commander';
import { MigratorError } from '../../core/errors.js';
import { rowsToWrite } from '../../core/import/map.js';
import { previewImport, refusal, runImport } from '../../core/import/run.js';
import { TOOL_READERS } from '../../core/import/tools.js';
import { IMPORT_TOOLS, type ImportToolName } from '../../core/import/types.js';
import { mappingJson, renderMapping } from '../render/import.js';
import { withDriver } from '../session.js';
import type { CommandEnv } from '../program.js';

interface ImportOptions {
  readonly from: ImportToolName;
  readonly table?: string;
  readonly dryRun?: boolean;
  readonly allowUnmapped?: boolean;
  readonly app?: string;
  readonly confirm?: string;
}

/**
 * `migrate import --from <tool>`: record in migrator_history what another tool's history table
 * says was applied, running nothing (docs/import.md). The mapping is first read on a read-only
 * session: `--dry-run` stops there, and a refusal (E_IMPORT_REFUSED, exit 6) found there creates
 * nothing. The real run maps again under the lock (runImport) and writes.
 */
export function registerImport(program: Command, env: CommandEnv): void {
  program
    .command('import')
    .description("record what another migration tool applied (its history table in this database) as applied; runs no migration SQL")
    .addOption(new Option('--from <tool>', 'the tool whose history to import').choices(IMPORT_TOOLS).makeOptionMandatory())
    .option('--table <name>', "the tool's history table, as name or schema.name (default: the tool's own)")
    .option('--dry-run', 'print the mapping (their entry -> migration file, applied at, by); write nothing')
    .option('--allow-unmapped', 'import the entries that match a migration file and leave out (and report) those that match none')
    .option('--app <label>', "Django only: the app whose migrations the files are; other apps' rows are skipped")
    .option('--confirm <environment>', 'the name of the environment, required where it is protected')
    .action(async (options: ImportOptions, command: Command) => {
      if (options.app !== undefined && options.from !== 'django') {
        throw new MigratorError('E_USAGE', `--app is for --from django only; ${options.from} has no apps`, { hint: 'Leave out --app. Nothing was read or written.' });
      }
      const session = await env.session(command);
      await session.authorize('import', { dryRun: options.dryRun, confirm: options.confirm });
      const { migrations } = await session.loadMigrations();
      const reader = TOOL_READERS[options.from];
      const input = { context: session.context, reader, table: options.table ?? reader.table, migrations, cwd: session.io.cwd, allowUnmapped: options.allowUnmapped === true, read: { app: options.app } };
      const heading = `Import of ${options.from} history (${input.table}) into ${session.target}:`;
      // Read-only first, also for a real run: a refusal then creates nothing, not even the lock's table.
      const mapping = await withDriver(session, true, (driver) => previewImport({ ...input, driver }));
      const refused = refusal(mapping, { ...input, tool: options.from });
      if (options.dryRun) {
        session.output.document({ ok: refused === undefined, dryRun: true, target: session.target, tool: options.from, table: input.table, ...mappingJson(mapping), ...(refused ? { error: { code: refused.code, message: refused.message } } : {}) });
        session.output.line(heading);
        renderMapping(mapping, session.output);
        if (refused) throw refused;
        const count = rowsToWrite(mapping).length;
        session.output.line(`Dry run: would record ${count} migration${count === 1 ? '' : 's'} as applied; nothing was written.`);
        return;
      }
      if (refused) throw refused;
      const { report, auditHead } = await withDriver(session, false, async (driver) => ({
        report: await runImport({ ...input, driver, emit: session.emit, signal: session.io.signal, lockTimeoutMs: session.config.lock.timeoutMs }),
        auditHead: await driver.readAuditHead(),
      }));
      session.output.document({ ok: true, dryRun: false, target: session.target, tool: options.from, table: input.table, written: report.written, batch: report.batch ?? null, ...mappingJson(report.mapping), auditHead });
      session.output.line(heading);
      renderMapping(report.mapping, session.output);
      const found = report.mapping.entries.some((e) => e.outcome === 'recorded');
      session.output.line(report.written > 0
        ? `Recorded ${report.written} migration${report.written === 1 ? '' : 's'} as applied (batch ${String(report.batch)}), ran nothing; audited as "import". "migrate status" shows the rest.`
        : found ? 'Nothing to import: migrator_history already records every applied entry.' : `Nothing to import: ${input.table} records no applied migration.`);
    });
}
