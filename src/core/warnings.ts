// Process warnings said once: node-nss's notices about options it cannot apply or names it skips, and node's
// own deprecations where node-nss/tls gives them as node:tls does.

const said = new Set<string>();

/** `process.emitWarning(message, { code, type })` the first time `code` and `key` come together. */
export function warnOnce(key: string, message: string, warning: { code: string; type?: string }): void {
  const id = `${warning.code} ${key}`;
  if (said.has(id)) return;
  said.add(id);
  process.emitWarning(message, warning);
}
