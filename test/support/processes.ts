/** Process helpers shared by lock tests. */

/** A pid with no process behind it (PID 1 here does not reap zombies: never a killed child's). */
export function deadPid(): number {
  for (let pid = 4_194_000; pid > 1_000_000; pid -= 7) {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return pid;
    }
  }
  throw new Error('no free pid found');
}
