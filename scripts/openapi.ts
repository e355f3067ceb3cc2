/** Writes openapi.yaml from the route schemas (`npm run openapi`). CI fails when the committed file drifts. */
import fs from 'node:fs';
import path from 'node:path';
import { renderOpenApi } from './openapi-document.js';

const file = path.resolve('openapi.yaml');
fs.writeFileSync(file, await renderOpenApi());
process.stdout.write(`wrote ${file}\n`);
