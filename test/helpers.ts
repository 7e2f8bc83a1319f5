import { execa, type Result } from 'execa';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { afterAll } from 'vitest';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = join(ROOT, 'dist', 'bin', 'haven-plus.js');

const created: string[] = [];
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'haven-plus-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** An environment with no git identity and no user config: what CI and fresh machines have. */
export function isolatedEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: join(home, '.gitconfig-none'),
    ...(process.env.HAVEN_PLUS_SCHEMA_LOCATION ? { HAVEN_PLUS_SCHEMA_LOCATION: process.env.HAVEN_PLUS_SCHEMA_LOCATION } : {}),
    ...(process.env.HAVEN_PLUS_CHART_DATA ? { HAVEN_PLUS_CHART_DATA: process.env.HAVEN_PLUS_CHART_DATA } : {}),
  };
}

/** Runs the bin with stdin closed (no TTY), never throwing: tests assert on exit code and output. */
export async function runBin(args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<Result> {
  return execa(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { ...isolatedEnv(opts.cwd), ...opts.env },
    extendEnv: false,
    stdin: 'ignore',
    all: true,
    reject: false,
    timeout: 60_000,
  });
}

export async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await execa('git', args, { cwd, env: isolatedEnv(cwd), extendEnv: false, stdin: 'ignore' });
  return stdout;
}

/** Every file below dir (except .git), as relative POSIX paths, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      if (e === '.git') continue;
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

export function readTree(dir: string): Map<string, string> {
  return new Map(listFiles(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

/** Parses every YAML file strictly (unique keys); returns the objects per file and all parse errors. */
export function parseAllYaml(dir: string): { objects: Map<string, unknown[]>; errors: string[] } {
  const objects = new Map<string, unknown[]>();
  const errors: string[] = [];
  for (const f of listFiles(dir).filter((x) => /\.ya?ml$/.test(x))) {
    const docs = parseAllDocuments(readFileSync(join(dir, f), 'utf8'), { uniqueKeys: true });
    for (const d of docs) for (const e of [...d.errors, ...d.warnings]) errors.push(`${f}: ${e.message}`);
    objects.set(f, docs.map((d) => d.toJS()).filter((o) => o !== null));
  }
  return { objects, errors };
}
