import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildFixtureDB, type FixtureDB } from './fixtures/nssdb.js';

declare module 'vitest' {
  export interface ProvidedContext {
    fixtures: { rsa: FixtureDB; ec: FixtureDB };
  }
}

/** Builds the RSA and ECDSA fixture databases once per test run; test files copy them before writing. */
export default function setup(project: TestProject): () => void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'node-nss-fixtures-'));
  project.provide('fixtures', {
    rsa: buildFixtureDB(path.join(root, 'rsa'), 'rsa'),
    ec: buildFixtureDB(path.join(root, 'ec'), 'ec'),
  });
  return () => fs.rmSync(root, { recursive: true, force: true });
}
