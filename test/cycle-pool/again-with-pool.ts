// Runs a suite file again with node-nss's cycle pool on (NODE_NSS_THREADS=2, read when node-nss loads): the
// same scenarios against the same node:tls reference, with every node-nss cycle that goes to the pool run
// there. At the end the pool must have run cycles, else the file would test the inline mode twice.
import { afterAll, expect } from 'vitest';

export async function againWithPool(suite: () => Promise<unknown>): Promise<void> {
  process.env.NODE_NSS_THREADS = '2';
  const { threadPool } = await import('node-nss');
  await suite();
  afterAll(() => {
    expect(threadPool().threads).toBe(2);
    expect(threadPool().cycles).toBeGreaterThan(100);
  });
}
