/**
 * The process edge: wires the real process into the CLI, turns signals into a graceful stop, and
 * sets the exit code main() decided. First SIGINT/SIGTERM: stop at the next statement boundary
 * and release the lock. Second: exit at once.
 */
import { main } from './main.js';

// "migrate status | head" closes the pipe early: that is the reader's choice, not a failure.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const controller = new AbortController();
let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    signals += 1;
    if (signals > 1) {
      process.stderr.write(`\nsecond ${signal}: exiting now; check "migrate status" for the state of the last migration.\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    process.stderr.write(`\n${signal} received: stopping at the next statement boundary (send it again to exit at once).\n`);
    controller.abort(signal);
  });
}

process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  stderrIsTTY: process.stderr.isTTY === true,
  stderrColumns: process.stderr.isTTY === true ? process.stderr.columns : undefined,
  env: process.env,
  cwd: process.cwd(),
  pid: process.pid,
  signal: controller.signal,
});
