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
