/**
 * What the subgenerators share: they run inside a generated repository only, change its stored
 * answers, and then go through the same render, validation, merge and commit as a plain re-run.
 */
import { AnswersError, HavenPlusError } from '../../lib/errors.js';
import { QUESTION_BY_NAME, runs, type QuestionContext, type RawAnswers } from '../../lib/questions.js';
import AppGenerator from './index.js';

export abstract class DayTwoGenerator extends AppGenerator {
  protected override readonly _dayTwo: boolean = true;

  /** The positional argument's name: never an answer's name (`name` is the platform's). */
  protected abstract readonly argumentName: string;

  /** What the subgenerator adds (its positional argument). */
  protected _name(): string {
    return String(this._opt<string>(this.argumentName));
  }

  /** Adds a platform-wide component unless the chosen ones already run it. */
  protected _ensureComponent(raw: RawAnswers, id: string): void {
    if (runs(raw, id)) return;
    raw.components = [...((raw.components as string[] | undefined) ?? []), id];
  }
}

/**
 * Appends one item to a list answer after checking it as its question does; an item that exists
 * already (or whose name is taken: `taken`) is refused with what exists.
 */
export function addItem(raw: RawAnswers, answer: string, item: string, label: string, ctx: QuestionContext, taken?: string[]): void {
  const q = QUESTION_BY_NAME.get(answer)!;
  const list = (raw[answer] as string[] | undefined) ?? [];
  const names = taken ?? list;
  const name = item.split(':')[0];
  if (names.includes(name)) {
    throw new HavenPlusError(`${label} ${JSON.stringify(name)} already exists (${answer}: ${names.join(', ')}); choose another name`, 2);
  }
  const problem = q.check?.(item, { ...raw, [answer]: [...list, item] }, ctx);
  if (problem) throw new AnswersError([{ answer: label, problem, allowed: q.allowed(ctx) }]);
  raw[answer] = [...list, item];
}
