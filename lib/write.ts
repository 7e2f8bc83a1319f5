/**
 * Writing the render into the target directory, so that no run can leave a broken repository:
 * - every path is checked before anything is written: no write goes through a symbolic link that
 *   leaves the target (or dangles), and a file never replaces a directory or the other way round;
 * - every file is written aside (a scratch directory inside the target) and renamed into place, so
 *   a file is either as it was or complete, never half-written, whenever the run stops;
 * - between files the run may be stopped (a signal): it stops at a file boundary.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statfsSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { HavenPlusError, machineError, MachineError } from './errors.js';
import { gitDirOf } from './git.js';
import { isInside } from './secrets/values.js';

/** The scratch directory of a target: inside its git directory when it has one, else a dot-directory in it. */
export function scratchDir(target: string): string {
  const gitDir = gitDirOf(target);
  return gitDir ? join(gitDir, 'haven-plus', 'write') : join(target, PLAIN_SCRATCH);
}

/** The scratch directory's name in a target without a git directory (never a generated path). */
export const PLAIN_SCRATCH = '.haven-plus-tmp';

/**
 * Where a repository path really is on disk, if every symbolic link on the way stays inside the
 * target; otherwise an error naming the path and the link. `undefined` target: nothing exists yet.
 */
export function safePath(target: string, path: string): string {
  const root = existsSync(target) ? realpathSync(target) : resolve(target);
  let current = root;
  const parts = path.split('/');
  for (let i = 0; i < parts.length; i++) {
    const next = join(current, parts[i]);
    let stat;
    try {
      stat = lstatSync(next);
    } catch {
      return join(next, ...parts.slice(i + 1));
    }
    if (stat.isSymbolicLink()) {
      const link = readlinkSync(next);
      const to = resolve(dirname(next), link);
      let real: string | undefined;
      try {
        real = realpathSync(next);
      } catch {
        real = undefined;
      }
      const shown = parts.slice(0, i + 1).join('/');
      if (!real) throw new HavenPlusError(`directory: ${shown} is a symbolic link to ${link}, which does not exist; haven-plus never writes through it. Remove the link (or make it a real ${i + 1 < parts.length ? 'directory' : 'file'}) and run again.`, 2);
      if (!isInside(real, root)) throw new HavenPlusError(`directory: ${shown} is a symbolic link to ${to}, outside the repository; haven-plus never writes outside it. Remove the link (or make it a real ${i + 1 < parts.length ? 'directory' : 'file'}) and run again.`, 2);
      current = real;
      continue;
    }
    if (i + 1 < parts.length && !stat.isDirectory()) throw new HavenPlusError(`directory: ${parts.slice(0, i + 1).join('/')} is a file, but the generator writes ${path} inside it. Move the file away and run again.`, 2);
    if (i + 1 === parts.length && stat.isDirectory()) throw new HavenPlusError(`directory: ${path} is a directory, but the generator writes a file there. Move the directory away and run again.`, 2);
    current = next;
  }
  return current;
}

/** A repository file as it is on disk (undefined when absent), never read through a link leaving the target. */
export function readSafely(target: string, path: string): string | undefined {
  const real = safePath(target, path);
  return existsSync(real) ? readFileSync(real, 'utf8') : undefined;
}

/** Refuses the run before anything is written when the device has clearly too little room for it. */
export function checkSpace(target: string, bytes: number): void {
  let probe = resolve(target);
  while (!existsSync(probe)) probe = dirname(probe);
  let free: number;
  try {
    const s = statfsSync(probe);
    free = s.bavail * s.bsize;
  } catch {
    return;
  }
  // The files, git's compressed copy of them, and room to spare.
  const needed = bytes * 2 + 1024 * 1024;
  if (free < needed) {
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    throw new MachineError(`not enough space on the device holding ${probe}: the repository needs about ${mb(needed)}, ${mb(free)} is free. Free some space and run the same command again; nothing was written.`);
  }
}

export interface WriteOptions {
  /** Checked between files: a reason to stop (the run was interrupted), or undefined to go on. */
  stop?: (written: number) => Error | undefined;
  /** Told now and then: files written so far, of how many. */
  progress?: (done: number, total: number) => void;
}

/**
 * Writes files (path → content) and removes paths, each atomically. Every path is checked first, so
 * a refusal writes nothing. Files already with the right content are not touched.
 */
export function writeFiles(target: string, writes: [string, string][], removes: string[], opts: WriteOptions = {}): { written: number } {
  const planned = writes.map(([path, content]) => ({ path, content, real: safePath(target, path) }));
  const removals = removes.map((path) => safePath(target, path));
  const scratch = scratchDir(target);
  let written = 0;
  try {
    mkdirSync(scratch, { recursive: true });
    const total = planned.length + removals.length;
    let done = 0;
    for (const { real, content } of planned) {
      const stop = opts.stop?.(written);
      if (stop) throw stop;
      if (!(existsSync(real) && readFileSync(real, 'utf8') === content)) {
        mkdirSync(dirname(real), { recursive: true });
        const aside = join(scratch, `${process.pid}-${done}`);
        // A file replaced keeps its permissions (a `chmod +x` of the user's survives).
        writeFileSync(aside, content, existsSync(real) ? { mode: statSync(real).mode & 0o7777 } : {});
        try {
          renameSync(aside, real);
        } catch (error) {
          // A mount point inside the repository: rename cannot cross it; write beside the file instead.
          if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
          const beside = `${real}.haven-plus-${process.pid}.tmp`;
          writeFileSync(beside, content);
          renameSync(beside, real);
          unlinkSync(aside);
        }
        written++;
      }
      if (++done % 500 === 0) opts.progress?.(done, total);
    }
    for (const real of removals) {
      const stop = opts.stop?.(written);
      if (stop) throw stop;
      rmSync(real, { force: true });
      done++;
    }
    return { written };
  } catch (error) {
    throw machineError(error, `writing the repository (${written} file(s) written, each complete)`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    // The plain scratch directory's parent may now be empty of ours: nothing else to undo.
  }
}

/** Removes what an earlier run that was killed may have left: its scratch directories. */
export function removeLeftovers(target: string): void {
  for (const dir of [scratchDir(target), join(target, PLAIN_SCRATCH)]) rmSync(dir, { recursive: true, force: true });
  const gitDir = gitDirOf(target);
  if (gitDir) rmSync(join(gitDir, 'haven-plus'), { recursive: true, force: true });
}
