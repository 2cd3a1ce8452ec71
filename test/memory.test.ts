import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

// Runs in a child process so that --expose-gc and RSS readings concern this workload alone.
const script = `
const nss = require('node-nss');
nss.init();
const db = nss.getDefaultCertDB();
const der = db.listCertificates()[0].derData;
function churn(n) {
  for (let i = 0; i < n; i++) {
    const cert = i % 2 ? nss.Certificate.fromDER(der) : db.findCertByDER(der);
    if (cert.subject.length === 0) throw new Error('empty subject');
  }
}
// Finalizers run between turns of the event loop, so let it turn between collections.
async function settle() {
  for (let i = 0; i < 6; i++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}
(async () => {
  churn(100000); // warm-up: lets V8 and malloc grow to their working size first
  await settle();
  const before = process.memoryUsage().rss;
  churn(100000);
  await settle();
  const after = process.memoryUsage().rss;
  nss.shutdown(); // throws SEC_ERROR_BUSY if any certificate reference leaked
  console.log(JSON.stringify({ before, after }));
})();
`;

describe('memory', () => {
  it('100,000 Certificate objects created and dropped grow RSS by less than 20 MiB', () => {
    const out = execFileSync(process.execPath, ['--expose-gc', '-e', script], {
      cwd: path.join(__dirname, '..'),
      encoding: 'utf8',
      timeout: 120_000,
    });
    const { before, after } = JSON.parse(out) as { before: number; after: number };
    const growthMiB = (after - before) / 2 ** 20;
    expect(growthMiB).toBeLessThan(20);
  });
});
