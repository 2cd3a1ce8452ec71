// What the layers above must forget when NSS shuts down (state NSS itself dropped), registered here so that
// the lifecycle module at the top of the stack needs no import of the modules that keep such state.

const hooks: Array<() => void> = [];

/** @internal Runs `hook` each time NSS has really shut down in this process (the last context closed). */
export function afterNSSShutdown(hook: () => void): void {
  hooks.push(hook);
}

/** @internal Called by `shutdown()` once NSS reports that it shut down. */
export function runShutdownHooks(): void {
  for (const hook of hooks) hook();
}
