// Lifecycle: init, shutdown, password routing, FIPS state, versions.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { binding } from './core/binding.js';
import { debug } from './core/debug.js';
import { errnos } from './core/constants.js';
import { NSPRError } from './core/errors.js';
import { isSystemFIPS, syncFIPSKeySizes } from './pkcs11/fips.js';
import { PK11Slot } from './pki/slot.js';
import { runShutdownChecks, runShutdownHooks } from './core/shutdown-hooks.js';
import {
  checkBoolean,
  checkFunction,
  checkInteger,
  checkObject,
  checkString,
  argTypeError,
} from './core/validate.js';

/**
 * Answers a token's request for a PIN or the database password. `pinArgs` are the extra arguments of the
 * call that needed the login (or a socket's `setPKCS11PinArg` values). Return `undefined` to cancel; when
 * `retry` is true the previous answer was wrong, and returning it again would only lock a card.
 */
export type PasswordCallback = (slot: PK11Slot, retry: boolean, ...pinArgs: unknown[]) => string | undefined;

/** Options for {@link init}. */
export interface InitOptions {
  /** NSS database directory: `'sql:/path'`, `'/path'` or `'~/.pki/nssdb'`. Omitted: no database. */
  dbDir?: string;
  /**
   * Open the database read-only (default `true`). Importing, trust changes and deletion need `false`. A
   * directory with no database gets a new one, as `certutil -N` makes it: its password is `password` when that
   * is a string, else empty (`--empty-password`; not in FIPS mode, which needs a real one).
   */
  readOnly?: boolean;
  /** Load Mozilla's root store (`libnssckbi`) as NSS does by default (default `true`). */
  loadBuiltinRoots?: boolean;
  /** Path of the root-store PKCS#11 module, loaded unless the database already lists one (default: found next to libnss3). */
  rootsModule?: string;
  /**
   * Require FIPS mode. A read-write database (`readOnly: false`) that is not in FIPS mode is switched
   * ({@link enableFIPS}, recorded in the database); a read-only one makes `init` fail with a RangeError that
   * says how to switch it.
   */
  fips?: boolean;
  /** The database password, or a callback asked whenever a token needs one. */
  password?: string | PasswordCallback;
}

function expandHome(dir: string): string {
  const match = /^(sql:|dbm:)?~(?=$|\/)/.exec(dir);
  return match ? (match[1] ?? '') + os.homedir() + dir.slice(match[0].length) : dir;
}

const SEC_ERROR_BAD_DATABASE = -8174;

/**
 * Refuses a database NSS could not open: a failed NSS_InitContext leaves NSS's module list half built
 * for the rest of the process, so the common mistakes are caught before NSS sees them.
 */
function checkDatabase(dbDir: string, readOnly: boolean): { hasKeyDatabase: boolean } {
  const match = /^(sql:|dbm:|extern:)?(.*)$/.exec(dbDir);
  const kind = match?.[1] ?? 'sql:';
  const dir = match?.[2] ?? dbDir;
  const fail = (why: string): never => {
    throw new NSPRError(SEC_ERROR_BAD_DATABASE, undefined, `Cannot open NSS database ${dbDir}: ${why}`);
  };
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    return fail('no such directory');
  }
  if (!stat.isDirectory()) fail('not a directory');
  if (kind === 'extern:') return { hasKeyDatabase: true };
  const files = kind === 'dbm:' ? ['cert8.db', 'key3.db'] : ['cert9.db', 'key4.db'];
  if (readOnly && !files.every((file) => fs.existsSync(path.join(dir, file)))) {
    fail(
      `no ${files.join('/')} in it (create one with \`certutil -N -d ${dbDir}\`, or open it with readOnly: false)`,
    );
  }
  try {
    fs.accessSync(dir, readOnly ? fs.constants.R_OK : fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    fail(readOnly ? 'not readable' : 'not writable');
  }
  return { hasKeyDatabase: fs.existsSync(path.join(dir, files[1] ?? 'key4.db')) };
}

/** Directory of the libnss3 this process loaded: NSS keeps its modules next to it. */
function libnss3Dir(): string | undefined {
  try {
    const maps = fs.readFileSync('/proc/self/maps', 'utf8');
    const match = /\s(\/\S*\/libnss3\.so[^\s]*)$/m.exec(maps);
    return match?.[1] ? path.dirname(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** @internal Where Mozilla's root store module lives on Debian/Ubuntu, Fedora/RHEL and upstream layouts. */
export function findRootsModule(): string | undefined {
  const dir = libnss3Dir();
  const candidates = [
    ...(dir ? [path.join(dir, 'nss', 'libnssckbi.so'), path.join(dir, 'libnssckbi.so')] : []),
    '/usr/lib/x86_64-linux-gnu/nss/libnssckbi.so',
    '/usr/lib/aarch64-linux-gnu/nss/libnssckbi.so',
    '/usr/lib64/libnssckbi.so',
    '/usr/lib/libnssckbi.so',
  ];
  return candidates.find((file) => fs.existsSync(file));
}

/**
 * Initialises NSS for this process (`NSS_InitContext`, reference counted, safe next to other NSS users and
 * in worker threads). Calling it again with the same options does nothing; with different options it
 * throws {@link NSPRError} code `'NSS_ALREADY_INITIALIZED'`.
 * @example
 * ```ts
 * init(); // no database: Mozilla's root store only
 * init({ dbDir: 'sql:/etc/pki/nssdb', password: process.env.NSSDB_PASSWORD }); // the system database
 * init({ dbDir: 'sql:/srv/app/nssdb', readOnly: false, fips: true }); // read-write, FIPS mode
 * ```
 */
export function init(opts: InitOptions = {}): void {
  checkObject(opts, 'opts');
  const { dbDir, readOnly = true, loadBuiltinRoots = true, rootsModule, fips, password } = opts;
  if (dbDir !== undefined) checkString(dbDir, 'opts.dbDir');
  checkBoolean(readOnly, 'opts.readOnly');
  checkBoolean(loadBuiltinRoots, 'opts.loadBuiltinRoots');
  if (rootsModule !== undefined) checkString(rootsModule, 'opts.rootsModule');
  if (fips !== undefined) checkBoolean(fips, 'opts.fips');
  if (password !== undefined && typeof password !== 'string' && typeof password !== 'function') {
    throw argTypeError('The "opts.password" argument must be a string or a function');
  }
  const dir = dbDir === undefined ? null : expandHome(dbDir);
  // Whether NSS is about to create the key database (then init sets its first password, as certutil -N does).
  const creates = dir !== null && !binding.isInitialized() && !checkDatabase(dir, readOnly).hasKeyDatabase;
  const roots = loadBuiltinRoots ? (rootsModule ?? findRootsModule() ?? null) : null;
  const wasInitialized = binding.isInitialized();
  binding.init({
    dbDir: dir,
    readOnly,
    loadBuiltinRoots,
    rootsModule: roots,
    password: typeof password === 'string' ? password : null,
    // A new key database gets its first password, as certutil -N makes one (`--empty-password` for ''); not an
    // empty one in FIPS mode or for a database about to be switched to it: FIPS mode needs a real password.
    firstPassword: creates && !readOnly ? firstPasswordFor(password, fips === true) : null,
  });
  // Another thread's database, or the same one after a shutdown: verify again.
  if (!wasInitialized) binding.trustChanged();
  debug(
    'init: %s%s, roots %s, NSS %s',
    dir ?? 'no database',
    dir !== null ? (readOnly ? ' (read-only)' : ' (read-write)') : '',
    roots ?? 'not loaded',
    binding.versions().nss,
  );
  if (typeof password === 'function') setPasswordCallback(password);
  opened = { dbDir: dir, readOnly };
  if (fips === true && !binding.isFIPS()) {
    if (dir !== null && !readOnly) {
      try {
        enableFIPS(true);
      } catch (err) {
        shutdown();
        throw err;
      }
    } else {
      shutdown();
      throw new RangeError(
        `FIPS mode was required but the NSS database ${dbDir ?? '(none)'} is not in FIPS mode ` +
          `(switch it with \`modutil -fips true -dbdir ${dbDir ?? '<dir>'}\`, or open it with readOnly: false ` +
          'so that init can switch it)',
      );
    }
  }
  syncFIPSKeySizes(binding.isFIPS());
}

/** The first password of a new database: `password` when it is one, else empty (not for FIPS mode). */
function firstPasswordFor(password: InitOptions['password'], forFIPS: boolean): string | null {
  if (typeof password === 'string') return password;
  return forFIPS || isSystemFIPS() ? null : '';
}

/** The database this environment opened (set by init, cleared by shutdown). */
let opened: { dbDir: string | null; readOnly: boolean } | undefined;

/**
 * Switches NSS's internal module to (`true`) or from (`false`) FIPS mode, as `modutil -fips` does
 * (`SECMOD_DeleteInternalModule`), and records it in the database's `pkcs11.txt`: the next `init` on that
 * database is in FIPS mode too. Nothing happens when NSS already is in the requested mode.
 *
 * - Needs a database opened read-write (`init({ dbDir, readOnly: false })`); otherwise throws
 *   {@link NSPRError} `'SEC_ERROR_READ_ONLY'`.
 * - On a system that forces FIPS mode ({@link isSystemFIPS}), `enableFIPS(false)` throws `'SEC_ERROR_MODULE_STUCK'`.
 * - The internal token is replaced by its FIPS (or non-FIPS) twin. Certificates, keys and slots this thread
 *   got from the old one are released and throw {@link NSPRError} `'SEC_ERROR_NO_TOKEN'` afterwards: look
 *   them up again. An SSL server or socket configured with a key before the switch keeps its own reference
 *   inside NSS, and with it the old module: until it is garbage-collected (or {@link shutdown}), NSS refuses
 *   the next switch with `'SEC_ERROR_MODULE_STUCK'`, and the message says so.
 * - In FIPS mode a database with a password needs a login for its keys (the `init` password or callback
 *   answers when asked), and new passwords must follow FIPS rules (see {@link PK11Slot.changePassword}).
 * - Sockets made afterwards get the FIPS TLS profile ({@link FIPS_TLS_PROFILE}); existing ones keep their
 *   settings until their handshake starts, when the profile is applied to them too.
 * @example
 * ```ts
 * init({ dbDir: 'sql:/srv/app/nssdb', readOnly: false });
 * enableFIPS(true); // recorded in the database: the next init there is in FIPS mode too
 * console.log(isFIPS());
 * ```
 */
export function enableFIPS(on: boolean): void {
  checkBoolean(on, 'on');
  if (!binding.isInitialized() || opened === undefined) {
    throw new NSPRError(errnos.SEC_ERROR_NOT_INITIALIZED, undefined, 'enableFIPS: call init() first');
  }
  if (binding.isFIPS() === on) {
    syncFIPSKeySizes(on);
    return;
  }
  if (!on && isSystemFIPS()) {
    throw new NSPRError(
      errnos.SEC_ERROR_MODULE_STUCK,
      'SEC_ERROR_MODULE_STUCK',
      'FIPS mode cannot be turned off: the system forces it (/proc/sys/crypto/fips_enabled is 1), ' +
        'and NSS keeps its internal module in FIPS mode on such a system',
    );
  }
  if (opened.dbDir === null || opened.readOnly) {
    throw new NSPRError(
      errnos.SEC_ERROR_READ_ONLY,
      'SEC_ERROR_READ_ONLY',
      `enableFIPS(${on}) needs a database opened read-write, where the mode is recorded: ` +
        (opened.dbDir === null ? 'NSS was initialised without one' : `${opened.dbDir} was opened read-only`) +
        ' (use init({ dbDir, readOnly: false }), or `modutil -fips ' +
        `${on} -dbdir <dir>\` before init)`,
    );
  }
  try {
    binding.setFIPS(on);
  } catch (err) {
    if (err instanceof NSPRError && err.code === 'SEC_ERROR_MODULE_STUCK') {
      throw new NSPRError(
        err.errno,
        err.code,
        // (A system that forces FIPS mode was refused above: here the replaced module is still in use.)
        `enableFIPS(${on}): NSS cannot switch its internal module again while the module replaced by the ` +
          'last switch is still in use (by an SSL server or socket configured with a key before that ' +
          'switch, or by objects of another thread): drop those and let them be garbage-collected, or ' +
          'shutdown() and init() again',
      );
    }
    throw err;
  } finally {
    binding.trustChanged();
  }
  syncFIPSKeySizes(on);
}

/** Whether {@link init} has run (and {@link shutdown} has not) in this thread's environment. */
export function isInitialized(): boolean {
  return binding.isInitialized();
}

/**
 * Releases every certificate, key and slot this environment holds, clears the session caches and drops this
 * environment's reference on NSS (the last one shuts NSS down). Objects used afterwards throw
 * {@link NSPRError} code `'NSS_SHUT_DOWN'`; {@link init} may be called again. A `slot.login()` or
 * `generateKeyPair()` still running on the thread pool is waited for (an RSA-4096 generation takes up to a
 * second), and its promise then rejects with `'NSS_SHUT_DOWN'`, also when it had finished. Throws inside a
 * password callback or a TLS callback.
 * @example
 * ```ts
 * init({ dbDir: 'sql:/tmp/db-a' });
 * // …
 * shutdown(); // every certificate, key and socket of this thread is released
 * init({ dbDir: 'sql:/tmp/db-b' });
 * ```
 */
export function shutdown(): void {
  if (inPasswordCallback > 0) {
    throw new Error(
      'shutdown() cannot run inside a password callback: call it after the callback has returned',
    );
  }
  runShutdownChecks();
  opened = undefined;
  const closed = binding.shutdown();
  binding.trustChanged();
  if (closed) runShutdownHooks();
}

/**
 * How many NSS objects (certificates, keys, slots, SSL sockets) this thread's environment still holds:
 * a leak check for applications and tests. Objects are released by `close()`/`destroy()`, by garbage
 * collection, or all at once by {@link shutdown}.
 */
export function liveHandles(): number {
  return binding.liveHandles();
}

/**
 * Password callbacks running now. Each runs inside the NSS call that needed the login, which shutdown() must
 * not pull NSS out from under (measured: a segmentation fault), and shutdown()'s wait for the login and
 * key-generation workers could then wait for a lock that very call holds.
 */
let inPasswordCallback = 0;

/**
 * Sets (or with `null`, removes) the callback NSS asks for PINs and database passwords.
 * @example
 * ```ts
 * setPasswordCallback((slot, retry) => (retry ? undefined : askUser(`PIN for ${slot.tokenName}`)));
 * ```
 */
export function setPasswordCallback(cb: PasswordCallback | null): void {
  if (cb === null) {
    binding.setPasswordCallback(null);
    return;
  }
  checkFunction(cb, 'cb');
  binding.setPasswordCallback((slot, retry, ...pinArgs) => {
    inPasswordCallback++;
    try {
      return cb(new PK11Slot(slot), retry, ...pinArgs);
    } finally {
      inPasswordCallback--;
    }
  });
}

/**
 * Whether NSS's internal module runs in FIPS mode (`PK11_IsFIPS`). While it does, every SSL socket and
 * server gets the FIPS TLS profile ({@link FIPS_TLS_PROFILE}).
 */
export function isFIPS(): boolean {
  return binding.isFIPS();
}

/** `length` random bytes from NSS's DRBG (`PK11_GenerateRandom`). */
export function generateRandom(length: number): Buffer {
  checkInteger(length, 'length', 0, 2 ** 31 - 1);
  return binding.generateRandom(length);
}

function packageVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Versions of the NSS and NSPR libraries loaded, and of this package. */
export const version: Readonly<{ nss: string; nspr: string; package: string }> = Object.freeze({
  ...binding.versions(),
  package: packageVersion(),
});
