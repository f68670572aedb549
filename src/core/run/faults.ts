/**
 * Boundaries of a run where a test may inject a crash (SIGKILL) to prove that every state the
 * process can die in is recoverable. Production runs pass no hook; the call costs nothing then.
 */
export type FaultPoint = 'lock.acquired' | 'statement.before' | 'statement.after' | 'commit.before' | 'commit.after';

/** Called at each boundary; a test hook may kill the process there. */
export type FaultHook = (point: FaultPoint) => void;
