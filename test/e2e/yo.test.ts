/**
 * `yo haven-plus` as a user runs it after `npm link` or a global install: yo finds the generator in a
 * node_modules folder (here a symlink to this package, as npm link makes), runs it, and commits.
 * yo refuses to run as root and drops to uid 1000 instead, so as root the workspace is handed to that user.
 */
import { execa } from 'execa';
import { existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers.js';

const YO = join(ROOT, 'node_modules', '.bin', 'yo');
const DROPPED_UID = 1000;

/** Hands a tree to uid, never following symlinks (the workspace links to this package). */
function chownTree(path: string, uid: number): void {
  lchownSync(path, uid, uid);
  if (lstatSync(path).isDirectory()) for (const e of readdirSync(path)) chownTree(join(path, e), uid);
}

describe('yo haven-plus', () => {
  it('is found by yo and generates a committed repository', async () => {
    const ws = tempDir('yo-');
    mkdirSync(join(ws, 'node_modules'));
    mkdirSync(join(ws, 'home'));
    symlinkSync(ROOT, join(ws, 'node_modules', 'generator-haven-plus'));
    if (process.getuid?.() === 0) chownTree(ws, DROPPED_UID);
    const env = { PATH: process.env.PATH ?? '', HOME: join(ws, 'home'), GIT_CONFIG_NOSYSTEM: '1' };
    const run = await execa(YO, ['haven-plus', 'platform', '--yes', '--provider', 'scaleway', '--databases', 'app,orders', '--no-insight'], {
      cwd: ws,
      env,
      extendEnv: false,
      stdin: 'ignore',
      all: true,
      reject: false,
      timeout: 90_000,
    });
    expect(run.exitCode, run.all).toBe(0);
    const dir = join(ws, 'platform');
    expect(existsSync(join(dir, 'clusters/prod/infrastructure/postgres.yaml'))).toBe(true);
    const log = await execa('git', ['-c', 'safe.directory=*', 'log', '--format=%s'], { cwd: dir });
    expect(log.stdout).toMatch(/^feat: generate Haven\+ platform platform/);

    // Day 2 through yo: the subgenerators are found by namespace and run inside the repository.
    const db = await execa(YO, ['haven-plus:database', 'shop', '--no-insight'], { cwd: dir, env, extendEnv: false, stdin: 'ignore', all: true, reject: false, timeout: 90_000 });
    expect(db.exitCode, db.all).toBe(0);
    const last = await execa('git', ['-c', 'safe.directory=*', 'log', '-1', '--format=%s'], { cwd: dir });
    expect(last.stdout).toBe('feat(postgres): add database shop to platform');
    expect(existsSync(join(dir, 'infrastructure/postgres/config/overlays/prod/patch-cluster-shop.yaml'))).toBe(true);

    // Help through yo, as its docs suggest: the options, not a crash.
    const help = await execa(YO, ['haven-plus', '--help', '--no-insight'], { cwd: ws, env, extendEnv: false, stdin: 'ignore', all: true, reject: false, timeout: 90_000 });
    expect(help.exitCode, help.all).toBe(0);
    expect(help.all).toContain('--engine');
    expect(help.all).not.toMatch(/Error|Cannot read/);

    const bad = await execa(YO, ['haven-plus', 'other', '--yes', '--provider', 'aws', '--no-insight'], { cwd: ws, env, extendEnv: false, stdin: 'ignore', all: true, reject: false, timeout: 90_000 });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.all).toContain('provider: "aws" is not one of the choices');
    expect(existsSync(join(ws, 'other'))).toBe(false);
  });
});
