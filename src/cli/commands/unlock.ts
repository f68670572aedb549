import type { Command } from 'commander';
import { describeHolder } from '../../core/run/lock.js';
import { previewUnlock, runUnlock, type UnlockResult } from '../../core/run/unlock.js';
import { withDriver } from '../session.js';
import type { CommandEnv } from '../program.js';

interface UnlockOptions {
  readonly force?: boolean;
  readonly confirm?: string;
}

function why(result: UnlockResult): string {
  const lease = result.lock['lease'] as { readonly expiresAt?: string } | undefined;
  if (result.because === 'holder-gone') return 'its process no longer exists on this host';
  if (result.because === 'expired') return `its lease expired${lease?.expiresAt ? ` at ${lease.expiresAt}` : ''}`;
  return 'broken with --force';
}

/**
 * `migrate unlock`: release a stale migration lock after checking that its holder is gone. The
 * lock is inspected on a read-only session; a writable one is opened only to break a stale lease.
 * Refusals are E_LOCK_HELD (exit 7) naming the holder and the next step; see docs/unlock.md.
 */
export function registerUnlock(program: Command, env: CommandEnv): void {
  program
    .command('unlock')
    .description('release a stale migration lock after checking that its holder is gone (audited)')
    .option('--force', 'also break a lease whose holder cannot be checked from here (another host), before it expires')
    .option('--confirm <environment>', 'the name of the environment, required where it is protected')
    .action(async (options: UnlockOptions, command: Command) => {
      const session = await env.session(command);
      await session.authorize('unlock', { confirm: options.confirm });
      const force = options.force === true;
      const preview = await withDriver(session, true, async (driver) => ({ ...(await previewUnlock({ driver, force })), auditHead: await driver.readAuditHead() }));
      const { auditHead, ...result } = preview.verdict.action !== 'break'
        ? { ...preview.result, auditHead: preview.auditHead }
        : await withDriver(session, false, async (driver) => ({ ...(await runUnlock({ driver, context: session.context, emit: session.emit, force })), auditHead: await driver.readAuditHead() }));
      session.output.document({ ok: true, target: session.target, lock: result.lock, released: result.released, because: result.because, audited: result.audited, auditHead });
      if (!result.released) {
        session.output.line(`No migration lock is held on ${session.target}: nothing to do.`);
        return;
      }
      session.output.line(`Released the migration lock on ${session.target}, held by ${describeHolder(result.holder ?? undefined)}: ${why(result)}.`);
      session.output.line(result.audited ? 'Recorded in the audit log (event "unlock").' : 'Not audited: the metadata tables do not exist.');
    });
}
