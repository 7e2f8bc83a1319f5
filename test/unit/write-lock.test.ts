/**
 * The building blocks that keep a stopped or concurrent run harmless: atomic writes that stop at a
 * file boundary, the symbolic-link guard, and the repository lock (lib/write.ts, lib/lock.ts).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HavenPlusError, LockedError } from '../../lib/errors.js';
import { acquireLock, lockPaths } from '../../lib/lock.js';
import { safePath, writeFiles } from '../../lib/write.js';
import { tempDir } from '../helpers.js';

describe('writeFiles', () => {
  it('writes each file whole and stops at a file boundary when asked, leaving no scratch behind', () => {
    const dir = tempDir('write-');
    const files: [string, string][] = Array.from({ length: 10 }, (_, i) => [`d${i % 3}/f${i}.yaml`, `n: ${i}\n`.repeat(1000)]);
    const stop = new Error('stop here');
    expect(() => writeFiles(dir, files, [], { stop: (written) => (written >= 4 ? stop : undefined) })).toThrow(stop);
    const present = files.filter(([p]) => existsSync(join(dir, p)));
    expect(present).toHaveLength(4);
    for (const [p, c] of present) expect(readFileSync(join(dir, p), 'utf8')).toBe(c);
    expect(readdirSync(dir).sort()).toEqual(['d0', 'd1', 'd2'].filter((d) => present.some(([p]) => p.startsWith(d))));
    // The rest, and a file already right is not rewritten.
    expect(writeFiles(dir, files, [], {}).written).toBe(6);
    chmodSync(join(dir, 'd1/f1.yaml'), 0o755);
    expect(writeFiles(dir, [['d1/f1.yaml', 'changed\n']], ['d0/f0.yaml'], {}).written).toBe(1);
    expect(statSync(join(dir, 'd1/f1.yaml')).mode & 0o777).toBe(0o755);
    expect(existsSync(join(dir, 'd0/f0.yaml'))).toBe(false);
  });

  it('follows a link that stays inside the target; refuses one that leaves it, one that dangles, and files in the way, before writing anything', () => {
    const root = tempDir('links-');
    const dir = join(root, 'repo');
    mkdirSync(join(dir, 'real'), { recursive: true });
    symlinkSync('real', join(dir, 'inside'));
    expect(safePath(dir, 'inside/a.yaml')).toBe(join(dir, 'real', 'a.yaml'));
    mkdirSync(join(root, 'out'));
    symlinkSync(join(root, 'out'), join(dir, 'away'));
    symlinkSync(join(root, 'gone'), join(dir, 'dangling.yaml'));
    writeFileSync(join(dir, 'plain'), 'a file\n');
    const refused = (path: string) => {
      try {
        writeFiles(dir, [['first.yaml', 'x: 1\n'], [path, 'y: 2\n']], []);
      } catch (error) {
        expect(error).toBeInstanceOf(HavenPlusError);
        expect(existsSync(join(dir, 'first.yaml'))).toBe(false);
        return (error as Error).message;
      }
      throw new Error(`${path} was not refused`);
    };
    expect(refused('away/b.yaml')).toContain(`away is a symbolic link to ${join(root, 'out')}, outside the repository`);
    expect(refused('dangling.yaml')).toContain('dangling.yaml is a symbolic link to');
    expect(refused('plain/c.yaml')).toContain('plain is a file, but the generator writes plain/c.yaml inside it');
    expect(refused('real')).toContain('real is a directory, but the generator writes a file there');
    expect(readdirSync(join(root, 'out'))).toEqual([]);
  });
});

describe('acquireLock', () => {
  it('locks in the git directory every worktree shares', async () => {
    const { execa } = await import('execa');
    const dir = tempDir('wt-lock-');
    await execa('git', ['init', '-q', '-b', 'main', join(dir, 'main')]);
    await execa('git', ['-c', 'user.name=a', '-c', 'user.email=a@b', 'commit', '-q', '--allow-empty', '-m', 'x'], { cwd: join(dir, 'main') });
    await execa('git', ['worktree', 'add', '-q', join(dir, 'linked')], { cwd: join(dir, 'main') });
    expect(lockPaths(join(dir, 'linked')).own).toBe(join(dir, 'main', '.git', 'haven-plus.lock'));
    expect(lockPaths(join(dir, 'main')).own).toBe(join(dir, 'main', '.git', 'haven-plus.lock'));
  });


  it('waits for a live holder and gives up with exit 5 naming it; takes over once the holder is gone; releases', async () => {
    const dir = tempDir('lock-');
    mkdirSync(join(dir, '.git'));
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    const lock = join(dir, '.git', 'haven-plus.lock');
    writeFileSync(lock, JSON.stringify({ pid: holder.pid, host: hostname(), started: '2026-12-06T10:00:00Z', command: 'haven-plus bucket' }));
    const lines: string[] = [];
    const started = Date.now();
    const error = await acquireLock(dir, { waitMs: 400, log: (l) => lines.push(l), command: 'haven-plus database' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockedError);
    expect((error as LockedError).exitCode).toBe(5);
    expect((error as Error).message).toContain(`another haven-plus run is working in this repository (haven-plus bucket, pid ${holder.pid}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(lines).toEqual([`Waiting for another haven-plus run in this repository to finish (haven-plus bucket, pid ${holder.pid})…`]);

    holder.kill('SIGKILL');
    await new Promise((r) => holder.on('exit', r));
    const taken = await acquireLock(dir, { waitMs: 400, log: (l) => lines.push(l), command: 'haven-plus database' });
    expect(lines.at(-1)).toContain(`(left by haven-plus bucket, pid ${holder.pid}, which is no longer running)`);
    expect(JSON.parse(readFileSync(lock, 'utf8')).pid).toBe(process.pid);
    taken.release();
    expect(existsSync(lock)).toBe(false);
  });

  it('in a directory without git, locks with a file in it, and respects that lock once git exists', async () => {
    const dir = tempDir('plain-lock-');
    const first = await acquireLock(dir, { waitMs: 100, log: () => {}, command: 'haven-plus' });
    expect(existsSync(join(dir, '.haven-plus.lock'))).toBe(true);
    // A first run made .git meanwhile; a second run must still see the first's lock. (Same process: held, not stale.)
    mkdirSync(join(dir, '.git'));
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    writeFileSync(join(dir, '.haven-plus.lock'), JSON.stringify({ pid: other.pid, host: hostname(), started: 'now', command: 'haven-plus' }));
    const error = await acquireLock(dir, { waitMs: 200, log: () => {}, command: 'haven-plus database' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockedError);
    other.kill('SIGKILL');
    first.release();
  });
});
