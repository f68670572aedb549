import { InvalidArgumentError, type Command } from 'commander';
import { MigratorError } from '../../core/errors.js';
import { canonicalRef } from '../../core/version.js';
import { tamperError, verifyAudit } from '../../core/run/verify-audit.js';
import { auditRowJson, parseSince, renderAudit, renderVerdict } from '../render/audit.js';
import { withDriver } from '../session.js';
import type { CommandEnv } from '../program.js';

interface AuditOptions {
  readonly since?: string;
  readonly version?: string;
  readonly by?: string;
  readonly limit: number;
}

interface VerifyOptions {
  readonly anchor?: ReadonlyArray<string>;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number (0 for all rows).');
  return n;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * `migrate audit`: lists the audit log, newest rows last, filtered; `migrate audit verify` walks
 * its hash chain (exit 6, E_AUDIT_TAMPERED, naming the first bad row). Both read-only: a read-only
 * session, no lock, nothing created; the reader role suffices. See docs/audit.md.
 */
export function registerAudit(program: Command, env: CommandEnv): void {
  const audit = program
    .command('audit')
    .description('list the audit log (who did what, when); "audit verify" checks its hash chain (read-only)')
    .option('--since <when>', 'only rows since a time (2026-01-31, 2026-01-31T14:00:00Z) or for a duration back (30m, 12h, 7d, 2w)')
    .option('--version <version>', 'only rows naming this version (migrated, or as the from/to version of a run)')
    // Not --actor: that global option says who runs the command (and is checked against roles).
    .option('--by <actor>', 'only rows written by this actor')
    .option('--limit <n>', 'the newest n matching rows, oldest first; 0 for all', count, 100)
    .action(async (options: AuditOptions, command: Command) => {
      const session = await env.session(command);
      const actor = options.by;
      const since = options.since === undefined ? undefined : parseSince(options.since, session.context.now());
      if (options.since !== undefined && since === undefined) {
        throw new MigratorError('E_USAGE', `--since "${options.since}" is neither a time nor a duration`, { hint: 'Use a date or time (2026-01-31, 2026-01-31T14:00:00Z) or a duration back from now (30m, 12h, 7d, 2w).' });
      }
      const version = options.version === undefined ? undefined : (canonicalRef(options.version) ?? options.version);
      await session.authorize('audit', {});
      const filter = { since, version, actor, ...(options.limit > 0 ? { limit: options.limit, newest: true } : {}) };
      const { rows, head } = await withDriver(session, true, async (driver) => ({ rows: await driver.readAudit(filter), head: await driver.readAuditHead() }));
      session.output.document({ ok: true, target: session.target, filter: { since: since ?? null, version: version ?? null, actor: actor ?? null, limit: options.limit || null }, auditHead: head, rows: rows.map(auditRowJson) });
      if (rows.length === 0) {
        session.output.line(head === '' ? `The audit log of ${session.target} is empty.` : 'No audit rows match.');
        return;
      }
      renderAudit(rows, session.target, session.output);
      if (options.limit > 0 && rows.length === options.limit) session.output.line(`(the newest ${options.limit} matching rows: narrow with --since, or see more with --limit)`);
    });

  audit
    .command('verify')
    .description('walk the audit hash chain from the first row; exit 6 naming the first row edited, deleted or inserted behind migrator\'s back')
    .option('--anchor <hash>', 'a head recorded earlier (auditHead of a run\'s --json): fail unless a row has it; repeatable', collect)
    .action(async (options: VerifyOptions, command: Command) => {
      const session = await env.session(command);
      await session.authorize('audit', {});
      const anchors = options.anchor ?? [];
      const walk = await withDriver(session, true, (driver) => verifyAudit(driver, { anchors }));
      const error = tamperError(walk, anchors);
      session.output.document({
        ok: error === undefined, target: session.target, checked: walk.checked, auditHead: walk.broken ? null : walk.head,
        broken: walk.broken ?? null, anchors: anchors.map((anchor) => ({ hash: anchor, found: walk.anchorsFound.includes(anchor) })),
      });
      renderVerdict(walk, session.target, anchors, session.output);
      if (error) throw error;
    });
}
