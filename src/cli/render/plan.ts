/**
 * Renders a plan: the dry-run script (exact SQL, in order, with where each statement comes from)
 * for people, and the same facts as JSON for machines. `status`, `--dry-run` and `validate` show
 * the very Plan object the executor would run.
 */
import type { Plan, PlanStep } from '../../core/plan/index.js';
import type { Capabilities } from '../../core/ports.js';
import { runsInTransaction } from '../../core/run/step.js';

export interface PlanJson {
  readonly direction: Plan['direction'];
  readonly fromVersion: string | null;
  readonly toVersion: string | null;
  readonly steps: ReadonlyArray<{
    readonly id: string;
    readonly version: string | null;
    readonly description: string;
    readonly action: PlanStep['action'];
    readonly file: string;
    readonly transactional: boolean;
    /** 1-based statement a resume starts at, `null` for other steps. */
    readonly resumeFrom: number | null;
    readonly statements: ReadonlyArray<{ readonly line: number; readonly sql: string }>;
    /** For a scripted migration, the function that runs (`up`, `down`): its SQL is only known when it runs. */
    readonly scripted: string | null;
    /** A file too large to hold: its statements are read as it runs, not listed. */
    readonly streamed: { readonly statements: number; readonly bytes: number } | null;
  }>;
}

/** `capabilities` of the engine decide whether a step really runs in a transaction there. */
export function planJson(plan: Plan, capabilities: Capabilities): PlanJson {
  return {
    direction: plan.direction,
    fromVersion: plan.fromVersion,
    toVersion: plan.toVersion,
    steps: plan.steps.map((step) => ({
      id: step.migration.id,
      version: step.migration.version?.canonical ?? null,
      description: step.migration.description,
      action: step.action,
      file: step.script.file,
      transactional: runsInTransaction(step, capabilities),
      // A script resumes from its ctx.batch checkpoints, not from a statement.
      resumeFrom: step.resume && !step.script.program ? step.resume.from + 1 : null,
      statements: step.script.statements.slice(step.resume?.from ?? 0).map((s) => ({ line: s.line, sql: s.sql })),
      scripted: step.script.program ? `${step.script.program.entry}(ctx)` : null,
      // A file too large to hold: its statements are read as it runs, and not listed here.
      streamed: step.script.stream ? { statements: step.script.stream.statements, bytes: step.script.stream.bytes } : null,
    })),
  };
}

const VERB: Record<PlanStep['action'], string> = { apply: 'apply', reapply: 'reapply', revert: 'revert', resume: 'resume' };

/** The dry-run script: SQL a person could read, or run by hand, in plan order. */
export function planScript(plan: Plan, target: string, capabilities: Capabilities): string {
  const lines: string[] = [`-- migrator dry run against ${target}: nothing was written`];
  lines.push(`-- ${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'}, version ${plan.fromVersion ?? '(none)'} -> ${plan.toVersion ?? '(none)'}`);
  for (const step of plan.steps) {
    const m = step.migration;
    lines.push('', `-- ${VERB[step.action]} ${m.id}${m.version ? ` (${m.description})` : ''}: ${step.script.file}${runsInTransaction(step, capabilities) ? '' : ' [outside a transaction, journaled]'}`);
    const from = step.resume?.from ?? 0;
    if (step.resume && step.script.program) lines.push('-- (runs up(ctx) again: its ctx.batch jobs continue after their last committed batch; a script without one is refused)');
    else if (from > 0) lines.push(`-- (statements 1-${from} were applied before: resuming at ${from + 1})`);
    // Its SQL depends on the data it reads: only running it can tell.
    if (step.script.program) lines.push(`-- scripted: ${step.script.program.entry}(ctx) of ${step.script.file}`);
    const stream = step.script.stream;
    if (stream) lines.push(`-- streamed: ${stream.statements} statements (${(stream.bytes / 1024 / 1024).toFixed(0)} MiB) read from ${step.script.file} as they run, not listed here`);
    for (const statement of step.script.statements.slice(step.script.program ? 0 : from)) {
      lines.push(`-- line ${statement.line}`, `${statement.sql}${needsTerminator(statement.sql) ? ';' : ''}`);
      // COPY ... FROM stdin: its data follows, as in the file.
      if (typeof statement.copyData === 'string') lines.push(`${statement.copyData}\\.`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function needsTerminator(sql: string): boolean {
  return !/;\s*$/.test(sql);
}
