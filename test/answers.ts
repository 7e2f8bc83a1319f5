/**
 * Answers resolved and rendered in memory, as the generator does, for unit tests of what a set of answers
 * makes and refuses.
 */
import { resolveAnswers, withDefaults } from '../lib/answers.js';
import { loadCatalog } from '../lib/catalog.js';
import { render } from '../lib/generate.js';
import type { RawAnswers } from '../lib/questions.js';

export const catalog = loadCatalog();
export const ctx = { catalog, directoryName: 'platform' };

/** What these answers render (with the defaults filled in). */
export const plan = (raw: RawAnswers) => render(resolveAnswers(withDefaults(raw, ctx), ctx), catalog);

/** The problems these answers are refused with, as `answer: problem (allowed: …)`; none where they are taken. */
export const problemsOf = (raw: RawAnswers): string[] => {
  try {
    resolveAnswers(withDefaults(raw, ctx), ctx);
    return [];
  } catch (e) {
    return ((e as { problems?: { answer: string; problem: string; allowed?: string }[] }).problems ?? [{ answer: '?', problem: (e as Error).message }]).map((p) => `${p.answer}: ${p.problem}${p.allowed ? ` (allowed: ${p.allowed})` : ''}`);
  }
};
