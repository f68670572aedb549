/** Turns a FaultSpec into the hook the core calls at run boundaries: SIGKILL, no cleanup, like a crash. */
import type { FaultSpec } from '../config/faults.js';
import type { FaultHook } from '../core/run/faults.js';

export function crashHook(spec: FaultSpec | undefined): FaultHook | undefined {
  if (!spec) return undefined;
  let seen = 0;
  return (point) => {
    if (point !== spec.point) return;
    seen += 1;
    if (seen === spec.occurrence) process.kill(process.pid, 'SIGKILL');
  };
}
