// certs (certutil -L / -K), verify (vfychain) and modules (modutil -list): views of an NSS database.
import * as fs from 'node:fs';
import { Certificate, CertVerifyError, certificateBytes } from '../pki/certificate.js';
import { getDefaultCertDB } from '../pki/certdb.js';
import * as constants from '../core/constants.js';
import { errorName } from '../core/errors.js';
import { init } from '../nss.js';
import { listModules } from '../pkcs11/module.js';
import { type ParsedCommand, UsageError, flag, stringOption } from './args.js';
import { makePaint, summarizeCertificate } from './describe.js';

/** @internal Opens the database of `-d` (none without it) read-only, with `-w` as its password. */
export function openDB(parsed: ParsedCommand, loadBuiltinRoots = true): void {
  const dbDir = stringOption(parsed, 'dbdir');
  const password = stringOption(parsed, 'password');
  init({
    ...(dbDir === undefined ? {} : { dbDir }),
    loadBuiltinRoots,
    ...(password === undefined ? {} : { password }),
  });
}

/** @internal */
export function certs(parsed: ParsedCommand): void {
  // Like certutil: what the database holds, without Mozilla's root store.
  openDB(parsed, false);
  const db = getDefaultCertDB();
  if (flag(parsed, 'keys')) {
    const keys = db
      .listPrivateKeys()
      // As certutil -K: a key without a label is shown by its certificate's nickname.
      .map((key) => ({
        type: key.keyType,
        id: key.id,
        nickname: key.nickname ?? key.getCertificate()?.nickname ?? null,
      }));
    if (flag(parsed, 'json')) {
      console.log(JSON.stringify(keys, null, 2));
      return;
    }
    keys.forEach((key, i) =>
      console.log(
        `<${String(i).padStart(2)}> ${key.type.padEnd(8)} ${key.id ?? ''}   ${key.nickname ?? '(orphan)'}`,
      ),
    );
    return;
  }
  const rows = db
    .listCertificates()
    .filter((cert) => cert.nickname !== null)
    .map((cert) => ({
      nickname: cert.nickname ?? '',
      trust: db.getTrust(cert),
      ...summarizeCertificate(cert),
    }));
  if (flag(parsed, 'json')) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  const width = Math.max(20, ...rows.map((row) => row.nickname.length)) + 2;
  console.log(`${'Certificate Nickname'.padEnd(width)}Trust Attributes`);
  for (const row of rows) console.log(`${row.nickname.padEnd(width)}${row.trust}`);
}

const USAGES: Record<string, number> = {
  sslclient: constants.certificateUsageSSLClient,
  sslserver: constants.certificateUsageSSLServer,
  sslca: constants.certificateUsageSSLCA,
  emailsigner: constants.certificateUsageEmailSigner,
  emailrecipient: constants.certificateUsageEmailRecipient,
  objectsigner: constants.certificateUsageObjectSigner,
};

function usageNames(bits: number): string[] {
  return Object.entries(USAGES)
    .filter(([, bit]) => (bits & bit) !== 0)
    .map(([name]) => name);
}

/** @internal */
export function verify(parsed: ParsedCommand): void {
  const target = parsed.operands[0] ?? '';
  const usageArg = stringOption(parsed, 'usage') ?? 'sslserver';
  const usage = USAGES[usageArg.toLowerCase()] ?? Number(usageArg);
  if (!Number.isInteger(usage) || usage <= 0) throw new UsageError(`unknown usage ${usageArg}`);
  openDB(parsed);
  const db = getDefaultCertDB();
  const cert = fs.existsSync(target)
    ? Certificate.fromDER(certificateBytes(fs.readFileSync(target), 'file'))
    : db.findCertFromNickname(target);
  const paint = makePaint(process.stdout);
  let result: {
    good: boolean;
    usages: string[];
    error: string | null;
    log: { depth: number; subject: string; error: string }[];
  };
  try {
    result = { good: true, usages: usageNames(cert.verifyNow(db, true, usage)), error: null, log: [] };
  } catch (err) {
    if (!(err instanceof CertVerifyError)) throw err;
    result = {
      good: false,
      usages: [],
      error: `${err.code}: ${err.message}`,
      log: err.log.map((entry) => ({
        depth: entry.depth,
        subject: entry.cert.subject,
        error: errorName(entry.error.errno),
      })),
    };
    process.exitCode = 1;
  }
  if (flag(parsed, 'json')) {
    console.log(JSON.stringify({ certificate: summarizeCertificate(cert), ...result }, null, 2));
    return;
  }
  console.log(`Certificate: ${cert.subject}`);
  console.log(`Issuer:      ${cert.issuer}`);
  if (result.good) {
    console.log(paint('green', `Chain is good! Valid for: ${result.usages.join(', ') || 'none'}`));
    return;
  }
  console.log(paint('red', `Chain is bad: ${result.error ?? ''}`));
  for (const entry of result.log) console.log(`  depth ${entry.depth}: ${entry.subject}: ${entry.error}`);
}

/** @internal */
export function modules(parsed: ParsedCommand): void {
  openDB(parsed);
  const list = listModules().map((module) => ({
    name: module.name,
    library: module.library,
    internal: module.isInternal,
    fips: module.isFIPS,
    slots: module.listSlots().map((slot) => ({
      slot: slot.slotName,
      token: slot.isPresent ? slot.tokenName : null,
      present: slot.isPresent,
      hardware: slot.isHW,
      removable: slot.isRemovable,
      readOnly: slot.isReadOnly,
      needsLogin: slot.isPresent ? slot.needLogin() : false,
    })),
  }));
  if (flag(parsed, 'json')) {
    console.log(JSON.stringify(list, null, 2));
    return;
  }
  console.log('Listing of PKCS #11 Modules');
  console.log('-----------------------------------------------------------');
  list.forEach((module, i) => {
    console.log(`  ${i + 1}. ${module.name}`);
    if (module.library) console.log(`\tlibrary name: ${module.library}`);
    console.log(`\t   slots: ${module.slots.length} slot${module.slots.length === 1 ? '' : 's'} attached`);
    console.log(`\t  status: loaded${module.fips ? ' (FIPS)' : ''}`);
    for (const slot of module.slots) {
      console.log('');
      console.log(`\t slot: ${slot.slot}`);
      console.log(`\ttoken: ${slot.token ?? '(not present)'}`);
      if (slot.present) console.log(`\t login: ${slot.needsLogin ? 'required' : 'not required'}`);
    }
    console.log('');
  });
  console.log('-----------------------------------------------------------');
}
