// Generates src/generated/openapi.ts (TypeScript types of every wire shape) from openapi.json.
// With --check, writes nothing and exits 1 when the committed file is stale.
import fs from 'node:fs';
import openapiTS, { astToString } from 'openapi-typescript';

const OUT = 'src/generated/openapi.ts';
const spec = JSON.parse(fs.readFileSync('openapi.json', 'utf8'));
const header = '// Generated from openapi.json by scripts/generate-api-types.mjs (npm run openapi). Do not edit.\n\n';
const text = header + astToString(await openapiTS(spec));
if (process.argv.includes('--check')) {
  const current = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
  if (current !== text) {
    console.error(`${OUT} is stale: run npm run openapi`);
    process.exit(1);
  }
} else {
  fs.writeFileSync(OUT, text);
}
