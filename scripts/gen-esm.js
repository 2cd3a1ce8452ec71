// Writes the ES module faces of the CommonJS build (dist/index.mjs, dist/compat/tls.mjs, register.mjs): one
// named export per public name of each entry point.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
// register is run for its effect (it initialises NSS): its module face imports it, and it is not loaded here.
fs.writeFileSync(path.join(dist, 'compat', 'register.mjs'), "import './register.js';\n");
for (const entry of ['index', 'compat/tls']) {
  const file = path.join(dist, `${entry}.js`);
  const names = Object.keys(require(file)).filter((name) => name !== 'default' && name !== '__esModule');
  const base = `./${path.basename(entry)}.js`;
  const lines = [
    `import mod from '${base}';`,
    '',
    ...names.map((name) => `export const ${name} = mod.${name};`),
    'export default mod;',
    '',
  ];
  fs.writeFileSync(path.join(dist, `${entry}.mjs`), lines.join('\n'));
}
