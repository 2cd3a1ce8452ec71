// The end of every hardening child script: 'done' after a clean run, the stack after a failure, and the exit
// only once stdout has gone out. process.exit() drops stdout writes still queued for a pipe the parent reads
// slowly (seen in CI under the sanitizers: the last six outcome lines of a batch lost).
'use strict';

function exitWhenFlushed(code) {
  process.stdout.write('', () => process.exit(code));
}

/** Runs the script's `main` and ends the process as the parent expects. */
function runChild(main) {
  main().then(
    () => {
      process.stdout.write('done\n');
      exitWhenFlushed(0);
    },
    (e) => {
      process.stdout.write(`harness failed: ${e && e.stack}\n`);
      exitWhenFlushed(3);
    },
  );
}

module.exports = { runChild };
