// What the layers above must check before NSS shuts down, and forget once it has (state NSS itself dropped),
// registered here so that the lifecycle module at the top of the stack imports none of the modules that
// keep such state.

const checks: Array<() => void> = [];
const hooks: Array<() => void> = [];

/** @internal Runs `check` before each shutdown; a check that throws stops the shutdown with its error. */
export function beforeNSSShutdown(check: () => void): void {
  checks.push(check);
}

/** @internal Runs `hook` each time NSS has really shut down in this process (the last context closed). */
export function afterNSSShutdown(hook: () => void): void {
  hooks.push(hook);
}

/** @internal Called by `shutdown()` before it releases anything. */
export function runShutdownChecks(): void {
  for (const check of checks) check();
}

/** @internal Called by `shutdown()` once NSS reports that it shut down. */
export function runShutdownHooks(): void {
  for (const hook of hooks) hook();
}
