/**
 * Renders errors as `error[E_CODE]: what happened`, `  at: file:line`, `  hint: what to do next`.
 * No stack trace unless --verbose.
 */
import type { MigratorError} from '../../core/errors.js';
import { ProblemsError, type Problem } from '../../core/errors.js';

function location(at: Problem['at']): string | undefined {
  if (!at) return undefined;
  return [at.file, at.line, at.column].filter((part) => part !== undefined).join(':');
}

function block(problem: Problem): string {
  const lines = [`error[${problem.code}]: ${problem.message}`];
  const at = location(problem.at);
  if (at) lines.push(`  at: ${at}`);
  if (problem.hint) lines.push(`  hint: ${problem.hint}`);
  return lines.join('\n');
}

function causes(error: unknown): string[] {
  const lines: string[] = [];
  let current: unknown = error;
  while (current instanceof Error) {
    lines.push(current.stack ?? `${current.name}: ${current.message}`);
    current = current.cause;
  }
  return lines;
}

/** Human text for an error, one block per problem. */
export function renderError(error: MigratorError, verbose: boolean): string {
  const problems = error instanceof ProblemsError ? error.problems : [{ code: error.code, message: error.message, hint: error.hint, at: error.at } as Problem];
  const text = problems.map(block).join('\n');
  return verbose ? `${text}\n${causes(error).join('\ncaused by: ')}\n` : `${text}\n`;
}

/** JSON for an error (the --json document of a failed command). */
export function errorJson(error: MigratorError): unknown {
  return {
    code: error.code,
    message: error.message,
    hint: error.hint ?? null,
    at: error.at ?? null,
    details: error.details,
  };
}
