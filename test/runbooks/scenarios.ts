/** Small scenario helpers shared by the runbook suites. */
import { expect } from 'vitest';
import type { Ctx } from './harness.js';

/** Runs `migrate <args>` (logs at warn) and asserts its exit code; returns its output. */
export async function expectExit(ctx: Ctx, args: string, code: number): Promise<{ stdout: string; stderr: string }> {
  const result = await ctx.migrate(`${args} --log-level warn`);
  if (result.code !== code) throw new Error(`setup: migrate ${args} exited ${String(result.code)}, expected ${code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  return result;
}

/** The end state every runbook aims for: no problem, nothing pending, at `version`. */
export async function expectClean(ctx: Ctx, version: string | null, pending = 0): Promise<void> {
  const status = await ctx.status();
  expect(status.problems).toEqual([]);
  expect(status.current).toBe(version);
  expect(status.pending).toBe(pending);
}
