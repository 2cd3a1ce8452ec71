// An HTTPS client that authenticates with a certificate on a smart card or HSM: the PKCS #11 module is loaded
// at run time, the PIN comes from the password callback (asked once, when NSS needs it), and the card's key
// signs the TLS handshake without leaving the card.
//
//   node build/examples/https-smartcard.mjs --module /usr/lib/softhsm/libsofthsm2.so --nickname 'My Token:me' \
//     --pin 1234 https://localhost:8443/ [--db /etc/pki/nssdb] [--ca ca.pem]
import * as fs from 'node:fs';
import * as https from 'node:https';
import { parseArgs } from 'node:util';
import { Agent, init, loadPKCS11Module, setPasswordCallback, shutdown } from 'node-nss';

const { values, positionals } = parseArgs({
  options: {
    module: { type: 'string' },
    nickname: { type: 'string' },
    pin: { type: 'string' },
    db: { type: 'string' },
    ca: { type: 'string' },
  },
  allowPositionals: true,
});
const url = positionals[0];
if (!url || !values.module || !values.nickname) {
  throw new Error('usage: https-smartcard --module <lib.so> --nickname <token:label> [--pin <pin>] <url>');
}
init(values.db ? { dbDir: values.db } : {});
const card = loadPKCS11Module({ name: 'smart card', library: values.module });
setPasswordCallback((slot, retry) => {
  if (retry) return undefined; // a wrong PIN is not tried twice: cards lock
  console.error(`PIN for ${slot.tokenName} requested`);
  return values.pin; // an application would prompt here
});

const agent = new Agent({
  nss: { clientCertNickname: values.nickname, ...(values.ca ? { ca: fs.readFileSync(values.ca) } : {}) },
});
const body = await new Promise<string>((resolve, reject) => {
  https
    .get(url, { agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve(`${res.statusCode ?? '?'} ${text}`));
    })
    .on('error', reject);
});
console.log(body);
agent.destroy();
card.unload();
shutdown();
