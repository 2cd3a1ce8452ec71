import { defineConfig } from 'vitest/config';

// Every test file runs in its own forked process: NSS state (init, FIPS, PIN callbacks) is process-wide.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
    // The package under test is the compiled one (`node-nss` resolves to dist/ through package exports),
    // loaded by Node itself rather than transformed.
    server: { deps: { external: [/\/dist\//] } },
  },
});
