// Prints NSS/NSPR compiler or linker flags for binding.gyp, or stops the build with one readable line.
'use strict';
const { execFileSync } = require('node:child_process');

const kind = process.argv[2] === 'libs' ? '--libs' : '--cflags';
const hint =
  'node-nss needs the NSS and NSPR development files and pkg-config: ' +
  'apt-get install pkg-config libnss3-dev libnspr4-dev (Debian/Ubuntu) or ' +
  'dnf install pkgconf-pkg-config nss-devel nspr-devel (Fedora/RHEL)';
try {
  const out = execFileSync('pkg-config', [kind, 'nss', 'nspr'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  process.stdout.write(out.trim().split(/\s+/).join('\n') + '\n');
} catch {
  process.stderr.write(`\nnode-nss: ${hint}\n\n`);
  process.exit(1);
}
