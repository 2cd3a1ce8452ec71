// contract/streams.test.ts again with node-nss's cycle pool on (NODE_NSS_THREADS=2, read when node-nss loads): the same
// scenarios against the same node:tls reference, with every node-nss cycle that can run off the JavaScript
// thread run there. At the end, the pool must have run cycles (else this file would test the inline mode twice).
import { afterAll, expect } from 'vitest';

process.env.NODE_NSS_THREADS = '2';
const { threadPool } = await import('node-nss');
await import('../contract/streams.test.js');

afterAll(() => {
  expect(threadPool().threads).toBe(2);
  expect(threadPool().cycles).toBeGreaterThan(100);
});
