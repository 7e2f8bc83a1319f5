/**
 * One run at a time per repository. The lock is a file created atomically (written aside, then
 * hard-linked into place, so it never exists half-written) inside the git directory, or in the
 * target directory when there is no git directory yet (--no-git). It names the process holding
 * it: a lock whose process is gone (same host) is stale and taken over. A second run waits for
 * the first, then reads the repository as the first left it; it never interleaves with it.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { machineError, LockedError } from './errors.js';
import { commonGitDirOf } from './git.js';

interface Holder {
  pid: number;
  host: string;
  started: string;
  command: string;
}

export interface Lock {
  path: string;
  release(): void;
}

export const LOCK_FILE = 'haven-plus.lock';
/** Where a run without a git directory locks: the target itself (removed when the run ends). */
export const PLAIN_LOCK_FILE = '.haven-plus.lock';

/**
 * The lock files a run in dir must respect: the repository's (in the common git directory, which
 * every worktree shares, as they share refs) and the plain one of a first run that has no git yet.
 */
export function lockPaths(dir: string): { own: string; others: string[] } {
  const gitDir = commonGitDirOf(dir);
  const plain = join(dir, PLAIN_LOCK_FILE);
  if (!gitDir) return { own: plain, others: [] };
  return { own: join(gitDir, LOCK_FILE), others: [plain] };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

/** Whether the lock at path is held by a live process (or cannot be judged: another host). */
function held(path: string): Holder | undefined {
  if (!existsSync(path)) return undefined;
  const holder = readHolder(path);
  if (!holder) {
    // Unreadable: only a lock from before atomic creation could be; trust it for a minute.
    const age = Date.now() - statSync(path).mtimeMs;
    return age < 60_000 ? { pid: 0, host: '?', started: '?', command: '?' } : undefined;
  }
  if (holder.host === hostname() && !alive(holder.pid)) return undefined;
  return holder;
}

export interface LockOptions {
  /** How long to wait for another run, in milliseconds. */
  waitMs: number;
  /** Told once when the run has to wait, and when a stale lock was taken over. */
  log(line: string): void;
  /** What this run is, for the message another run shows. */
  command: string;
}

/** Takes the repository's lock, waiting for another run; throws LockedError after waitMs. */
export async function acquireLock(dir: string, opts: LockOptions): Promise<Lock> {
  const me: Holder = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command: opts.command };
  const deadline = Date.now() + opts.waitMs;
  let told = false;
  for (;;) {
    // Again on every round: a first run may have made the git directory meanwhile.
    const { own, others } = lockPaths(dir);
    const busy = [own, ...others].map((p) => ({ p, h: held(p) })).find((x) => x.h && !(x.h.pid === me.pid && x.h.host === me.host));
    if (!busy) {
      for (const p of [own, ...others]) if (existsSync(p)) breakStale(p, opts.log);
      if (tryCreate(own, me)) {
        // Another run may have taken a lock we were not looking at between our look and our take: look again.
        if (others.every((o) => !held(o) || readHolder(o)?.pid === me.pid)) return lockAt(own);
        rmSync(own, { force: true });
      }
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      continue;
    }
    if (Date.now() >= deadline) {
      const h = busy.h!;
      throw new LockedError(
        `another haven-plus run is working in this repository (${h.command}, pid ${h.pid} on ${h.host}, since ${h.started}); waited ${Math.round(opts.waitMs / 1000)} s.\n` +
          `  Run again when it has finished. If no such run exists (another machine that crashed), remove ${busy.p}.`,
      );
    }
    if (!told) {
      opts.log(`Waiting for another haven-plus run in this repository to finish (${busy.h!.command}, pid ${busy.h!.pid})…`);
      told = true;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Removes a stale lock, but only under a second, short-lived lock (`<lock>.break`), checking again
 * there: two runs finding the same stale lock cannot both remove it, and neither removes a fresh
 * lock another run has just taken in its place.
 */
function breakStale(path: string, log: (line: string) => void): void {
  if (held(path)) return;
  const breaker = `${path}.break`;
  const me: Holder = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command: 'breaking a stale lock' };
  if (!tryCreate(breaker, me)) {
    // A breaker left by a run that died in these few lines: gone after a few seconds.
    if (existsSync(breaker) && Date.now() - statSync(breaker).mtimeMs > 5_000 && !held(breaker)) rmSync(breaker, { force: true });
    return;
  }
  try {
    const stale = readHolder(path);
    if (existsSync(path) && !held(path)) {
      rmSync(path, { force: true });
      log(`Removed a stale lock ${path}${stale ? ` (left by ${stale.command}, pid ${stale.pid}, which is no longer running)` : ''}.`);
    }
  } finally {
    rmSync(breaker, { force: true });
  }
}

function tryCreate(path: string, me: Holder): boolean {
  const aside = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(aside, `${JSON.stringify(me)}\n`);
    linkSync(aside, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw machineError(error, `locking the repository (${path})`);
  } finally {
    rmSync(aside, { force: true });
  }
}

const releasers = new Set<() => void>();
let exitHook = false;

function lockAt(path: string): Lock {
  const release = () => {
    releasers.delete(release);
    const holder = readHolder(path);
    if (holder && holder.pid === process.pid && holder.host === hostname()) {
      try {
        unlinkSync(path);
      } catch {
        // gone already
      }
    }
  };
  releasers.add(release);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const r of [...releasers]) r();
    });
  }
  return { path, release };
}
