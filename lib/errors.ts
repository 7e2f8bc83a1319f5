/**
 * Errors a user can act on. Everything else that escapes is a bug in the generator.
 */

/** One problem with one answer: which answer, what was wrong, what is allowed. */
export interface AnswerProblem {
  answer: string;
  problem: string;
  allowed?: string;
}

export class HavenPlusError extends Error {
  override name = 'HavenPlusError';
  constructor(
    message: string,
    /** Process exit code the CLI should use. */
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Raised when answers are missing or invalid; carries every problem at once. */
export class AnswersError extends HavenPlusError {
  override name = 'AnswersError';
  constructor(readonly problems: AnswerProblem[]) {
    super(formatProblems(problems), 2);
  }
}

export function formatProblems(problems: AnswerProblem[]): string {
  const lines = problems.map((p) => {
    const allowed = p.allowed ? `\n      allowed: ${p.allowed}` : '';
    return `  - ${p.answer}: ${p.problem}${allowed}`;
  });
  const noun = problems.length === 1 ? 'answer needs' : 'answers need';
  return `${problems.length} ${noun} attention:\n${lines.join('\n')}`;
}

/** Raised when the generator produced output that fails its own checks: a bug, never written. */
export class InvalidOutputError extends HavenPlusError {
  override name = 'InvalidOutputError';
  constructor(readonly findings: string[]) {
    super(
      `generator-haven-plus produced output that fails its own validation, so nothing was written.\n` +
        `This is a bug: please report it with the answers you used.\n` +
        findings.map((f) => `  - ${f}`).join('\n'),
      3,
    );
  }
}

/** The machine stops the run, not the answers: no space, no permission, a read-only file system, git missing (exit 4). */
export class MachineError extends HavenPlusError {
  override name = 'MachineError';
  constructor(message: string) {
    super(message, 4);
  }
}

/** Another haven-plus run holds the repository and did not finish in time (exit 5). */
export class LockedError extends HavenPlusError {
  override name = 'LockedError';
  constructor(message: string) {
    super(message, 5);
  }
}

/** The commit is made, but the push failed or timed out (exit 6): the commit stays, push later. */
export class PushError extends HavenPlusError {
  override name = 'PushError';
  constructor(message: string) {
    super(message, 6);
  }
}

/** The run was stopped by a signal at a safe point (exit 128 + the signal's number, as shells report it). */
export class InterruptedError extends HavenPlusError {
  override name = 'InterruptedError';
  constructor(
    readonly signal: NodeJS.Signals,
    what: string,
  ) {
    super(`interrupted (${signal}): ${what}`, 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  }
}

/** File-system error codes that mean the machine, not the generator (turned into MachineError). */
const MACHINE_CODES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a path component is a file, not a directory',
  EISDIR: 'a directory is where a file must go',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files on the system',
};

/** A file-system error as a MachineError naming the path and what to do; anything else unchanged. */
export function machineError(error: unknown, doing: string): unknown {
  const e = error as NodeJS.ErrnoException;
  const what = e?.code ? MACHINE_CODES[e.code] : undefined;
  if (!what) return error;
  const where = e.path ? ` (${e.path})` : '';
  const fix = e.code === 'ENOSPC' || e.code === 'EDQUOT' ? 'Free some space and run the same command again: files already written are complete, and the re-run finishes the rest.' : 'Fix it and run the same command again.';
  return new MachineError(`${doing}: ${what}${where}. ${fix}`);
}
