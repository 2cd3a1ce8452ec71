// Writes dist/index.mjs: the ES module face of the CommonJS build, one named export per public name.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
const names = Object.keys(require(path.join(dist, 'index.js'))).filter(
  (name) => name !== 'default' && name !== '__esModule',
);
const lines = [
  "import nss from './index.js';",
  '',
  ...names.map((name) => `export const ${name} = nss.${name};`),
  'export default nss;',
  '',
];
fs.writeFileSync(path.join(dist, 'index.mjs'), lines.join('\n'));
