/**
 * `migrate doctor` for people (one line per check, then a summary) and for machines (one JSON
 * document). The pre-flight before `up` prints the same lines.
 */
import type { CheckStatus, DoctorCheck } from '../../core/doctor.js';
import type { Examination } from '../preflight.js';
import type { Output } from '../io.js';

const MARK: Record<CheckStatus, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL', unknown: '?' };

/** `  FAIL  privilege   CREATE on schema app: missing CREATE: ...`, and its hint on the next line unless ok. */
export function checkLine(check: DoctorCheck): string {
  const line = `  ${MARK[check.status].padEnd(4)}  ${check.name.padEnd(10)}  ${check.subject === undefined ? '' : `${check.subject}: `}${check.detail}`;
  return check.hint === undefined || check.status === 'ok' ? line : `${line}\n${' '.repeat(20)}hint: ${check.hint}`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `9 checks: 7 ok, 1 warning, 1 unknown, 0 failed`. */
export function summaryLine(checks: ReadonlyArray<DoctorCheck>): string {
  const count = (status: CheckStatus) => checks.filter((c) => c.status === status).length;
  return `${plural(checks.length, 'check')}: ${count('ok')} ok, ${plural(count('warn'), 'warning')}, ${count('unknown')} unknown, ${count('fail')} failed`;
}

/** The human report. */
export function renderDoctor(report: Examination, target: string, output: Output): void {
  output.line(`Pre-flight checks for "${report.command}" on ${target}`);
  for (const check of report.checks) output.line(checkLine(check));
  output.line(summaryLine(report.checks));
}

/** The `--json` document: `ok` is false when any check failed. */
export function doctorJson(report: Examination, target: string): unknown {
  return {
    ok: report.checks.every((c) => c.status !== 'fail'),
    target,
    command: report.command,
    checks: report.checks.map((c) => ({ name: c.name, status: c.status, subject: c.subject ?? null, detail: c.detail, hint: c.hint ?? null, code: c.code ?? null })),
    diagnosis: report.diagnosis ?? null,
  };
}
