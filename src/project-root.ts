/** The repository (or image) root: where package.json, contexts/ and schemas/ live, from src/ or dist/src/. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'contexts'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('Cannot find the project root (package.json beside contexts/)');
    dir = parent;
  }
}

export const projectRoot = findRoot();
