// Loads the native module (a prebuild or a local build) and explains a missing NSS in one sentence.
import * as path from 'node:path';
import type { Binding } from '../../types/binding.js';

// dist/core/binding.js → the package root, where node-gyp-build finds build/ and prebuilds/.
const root = path.join(__dirname, '..', '..');

function load(): Binding {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
  try {
    return nodeGypBuild(root) as Binding;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const missing = /lib(nss\w*|nspr\d|ssl3|smime3|plc4|plds4)\.so[^:]*: cannot open shared object file/.exec(
      message,
    );
    if (missing) {
      throw new Error(
        `node-nss: the NSS runtime library ${missing[0].split(':')[0]} is not installed. ` +
          'Install libnss3 (Debian/Ubuntu: apt-get install libnss3) or nss (Fedora/RHEL: dnf install nss).',
        { cause: err },
      );
    }
    // node-gyp-build's message goes on with the directory it searched, on a second line.
    throw new Error(
      `node-nss: cannot load the native module: ${message.split('\n')[0] ?? message} (in ${root})`,
      {
        cause: err,
      },
    );
  }
}

/** @internal The raw native module. */
export const binding: Binding = load();
