/**
 * Installs a suite from local copies: every dependency given as a git repository (github:owner/name, git+https://…,
 * owner/name) is packed with `npm pack` from the local copy `<CONFORMANCE_DIR>/<owner>+<name>` or
 * `<CONFORMANCE_DIR>/<name>`, and the suite's package.json (in its copy) is rewritten to install that tarball, so
 * `npm install` needs the npm registry only. The original package.json is kept beside it as
 * `package.json.conformance-orig`. An install is skipped when node_modules holds the stamp of the same package.json
 * and tarballs.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { capture, run, tail } from './proc.js';

const ORIG = 'package.json.conformance-orig';
const STAMP = '.conformance-stamp';
/** devDependencies a test run does not need (linters, report viewers); mocha and the rest are kept. */
const DROPPED_DEV = /^(eslint|@eslint\/|allure-)/;
const INSTALL_TIMEOUT_MS = 20 * 60_000;

interface GitSource {
  readonly owner: string;
  readonly name: string;
  readonly ref: string | undefined;
}

type PackageJson = Record<string, unknown> & {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

export class MissingCopyError extends Error {
  constructor(
    readonly repo: string,
    readonly folders: readonly string[],
  ) {
    super(`no local copy of ${repo} (looked for ${folders.join(' and ')})`);
  }
}

/** Parses a git dependency spec; null for registry ranges, tags, file: and link: specs. */
export function gitSource(spec: string): GitSource | null {
  const patterns = [
    /^(?:github:)([^/#\s]+)\/([^#\s]+?)(?:\.git)?(?:#(.*))?$/,
    /^(?:git\+)?(?:https?|ssh|git):\/\/(?:[^@/]+@)?github\.com[/:]([^/#\s]+)\/([^#\s]+?)(?:\.git)?(?:#(.*))?$/,
    /^([A-Za-z0-9][\w.-]*)\/([\w.-]+?)(?:#(.*))?$/,
  ];
  for (const pattern of patterns) {
    const m = pattern.exec(spec.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) return { owner: m[1], name: m[2], ref: m[3] || undefined };
  }
  return null;
}

function readJson(file: string): PackageJson {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as PackageJson;
}

function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function hasGitDeps(pkg: PackageJson): boolean {
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies'] as const) {
    for (const spec of Object.values(pkg[field] ?? {})) if (gitSource(spec) !== null) return true;
  }
  return false;
}

export class Preparer {
  /** folder → packed tarball (one pack per helper per run). */
  private readonly packed = new Map<string, string>();
  private readonly packsDir: string;

  constructor(
    readonly root: string,
    private readonly log: (line: string) => void,
    private readonly logFile: string,
  ) {
    this.packsDir = path.join(root, '.packs');
  }

  /** The local copy of a repository: `<root>/<owner>+<name>`, else `<root>/<name>`. */
  localCopy(source: GitSource): string {
    const candidates = [path.join(this.root, `${source.owner}+${source.name}`), path.join(this.root, source.name)];
    const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'package.json')));
    if (found === undefined) throw new MissingCopyError(`${source.owner}/${source.name}`, candidates);
    return found;
  }

  /**
   * Rewrites a package.json's git dependencies to `file:` tarballs packed from local copies.
   * @returns the rewritten package.json and the tarballs it names.
   */
  private async rewrite(pkg: PackageJson, seen: readonly string[], dropDev: boolean): Promise<{ pkg: PackageJson; tarballs: string[] }> {
    const out: PackageJson = structuredClone(pkg);
    const tarballs: string[] = [];
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const) {
      const deps = out[field];
      if (deps === undefined) continue;
      for (const [name, spec] of Object.entries(deps)) {
        if (field === 'devDependencies' && dropDev && DROPPED_DEV.test(name)) {
          delete deps[name];
          continue;
        }
        const source = gitSource(spec);
        if (source === null) continue;
        if (field === 'peerDependencies') {
          delete deps[name];
          continue;
        }
        const tarball = await this.pack(this.localCopy(source), seen);
        if (source.ref !== undefined)
          this.log(`    note: ${name} asks for ${source.owner}/${source.name}#${source.ref}; using the local copy as it is`);
        deps[name] = `file:${tarball}`;
        tarballs.push(tarball);
      }
    }
    return { pkg: out, tarballs };
  }

  /** Packs a helper's local copy (its own git dependencies rewritten first) into `<root>/.packs/<folder>.tgz`. */
  private async pack(dir: string, seen: readonly string[]): Promise<string> {
    const folder = path.basename(dir);
    const done = this.packed.get(folder);
    if (done !== undefined) return done;
    if (seen.includes(folder)) throw new Error(`git dependency cycle: ${[...seen, folder].join(' → ')}`);
    const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-pack-'));
    try {
      fs.cpSync(dir, staging, {
        recursive: true,
        filter: (src) => !['.git', 'node_modules'].includes(path.basename(src)),
      });
      const { pkg } = await this.rewrite(readJson(path.join(dir, 'package.json')), [...seen, folder], false);
      fs.writeFileSync(path.join(staging, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
      fs.mkdirSync(this.packsDir, { recursive: true });
      const json = await capture('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', this.packsDir], {
        cwd: staging,
        logFile: this.logFile,
        timeoutMs: 120_000,
      });
      const [info] = JSON.parse(json) as { filename: string }[];
      if (info === undefined) throw new Error(`npm pack printed no file for ${dir}`);
      const target = path.join(this.packsDir, `${folder}.tgz`);
      fs.renameSync(path.join(this.packsDir, info.filename), target);
      this.log(`    packed ${path.relative(this.root, dir)} → ${path.relative(this.root, target)}`);
      this.packed.set(folder, target);
      return target;
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }

  /**
   * Makes a suite copy ready to run: git deps packed and rewritten, `npm install` unless cached.
   * @throws {MissingCopyError} when a helper's local copy is missing.
   */
  async prepareSuite(suiteDir: string): Promise<{ installed: boolean }> {
    const pkgFile = path.join(suiteDir, 'package.json');
    const origFile = path.join(suiteDir, ORIG);
    const current = readJson(pkgFile);
    // A package.json with git dependencies is an original (first run, or the copy was updated since).
    if (!fs.existsSync(origFile) || hasGitDeps(current)) fs.copyFileSync(pkgFile, origFile);
    const { pkg, tarballs } = await this.rewrite(readJson(origFile), [], true);
    const text = `${JSON.stringify(pkg, null, 2)}\n`;
    if (fs.readFileSync(pkgFile, 'utf8') !== text) fs.writeFileSync(pkgFile, text);

    const stamp = crypto.createHash('sha256').update(text).update(process.version).update(tarballs.map(sha256File).join(',')).digest('hex');
    const stampFile = path.join(suiteDir, 'node_modules', STAMP);
    if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return { installed: false };

    const installLog = path.join(path.dirname(this.logFile), `npm-install-${path.basename(suiteDir)}.log`);
    const started = Date.now();
    const result = await run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock'], {
      cwd: suiteDir,
      logFile: installLog,
      timeoutMs: INSTALL_TIMEOUT_MS,
    });
    if (result.code !== 0) {
      throw new Error(
        `npm install in ${suiteDir} ${result.timedOut ? 'timed out' : `exited with ${result.code ?? result.signal}`}; ` +
          `log ${installLog}:\n${tail(installLog)}`,
      );
    }
    fs.writeFileSync(stampFile, stamp);
    this.log(`    npm install done in ${Math.round((Date.now() - started) / 1000)} s`);
    return { installed: true };
  }
}
