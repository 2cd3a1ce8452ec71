// fetch over NSS: undici's Agent with node-nss's connector, so the TLS (and the trust, and a client
// certificate from the database or a card) is NSS's while undici does HTTP/1.1 or HTTP/2.
//
//   node build/examples/undici-fetch.mjs https://example.com/ [--db /etc/pki/nssdb] [--ca ca.pem] [--nickname me]
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Agent, fetch } from 'undici';
import { init, shutdown, undiciConnector } from 'node-nss';

const { values, positionals } = parseArgs({
  options: {
    db: { type: 'string' },
    ca: { type: 'string' },
    nickname: { type: 'string' },
    password: { type: 'string' },
  },
  allowPositionals: true,
});
const url = positionals[0];
if (!url) throw new Error('usage: undici-fetch <url> [--db <dir>] [--ca <pem>] [--nickname <client cert>]');
init({
  ...(values.db ? { dbDir: values.db } : {}),
  ...(values.password ? { password: values.password } : {}),
});

const dispatcher = new Agent({
  allowH2: true,
  connect: undiciConnector({
    allowH2: true,
    ...(values.ca ? { ca: fs.readFileSync(values.ca) } : {}),
    ...(values.nickname ? { clientCertNickname: values.nickname } : {}),
  }),
});
try {
  const response = await fetch(url, { dispatcher });
  console.log(`${response.status} ${response.headers.get('content-type') ?? ''}`);
  console.log((await response.text()).slice(0, 200));
} catch (err) {
  // fetch's own error says "fetch failed"; the NSS error (with its code) is the cause.
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  console.error(`fetch failed: ${cause?.code ?? ''} ${cause?.message ?? String(err)}`);
  process.exitCode = 1;
}
await dispatcher.close();
shutdown();
