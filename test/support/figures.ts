// Figures for docs/security.md: with HARDENING_SUMMARY set (scripts/security-figures.js sets it), a hardening
// test appends one JSON line of what it tried and measured.
import * as fs from 'node:fs';

export function recordFigures(test: string, figures: Record<string, unknown>): void {
  const target = process.env.HARDENING_SUMMARY;
  if (target) fs.appendFileSync(target, `${JSON.stringify({ test, ...figures })}\n`);
}
