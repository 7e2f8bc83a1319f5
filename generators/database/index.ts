/**
 * `yo haven-plus:database <name>` / `haven-plus database <name>`: one more CloudNativePG cluster
 * with its backups, wired like the first (PostgreSQL is added when the platform has none yet).
 */
import type { Plan } from '../../lib/plan.js';
import type { QuestionContext, RawAnswers } from '../../lib/questions.js';
import { addItem, DayTwoGenerator } from '../app/day-two.js';

export default class DatabaseGenerator extends DayTwoGenerator {
  protected readonly argumentName = 'database';

  protected override _declareArguments(): void {
    this.argument('database', { type: String, required: true, description: 'the database (CloudNativePG cluster) to add: a DNS label of at most 40 characters' });
  }

  protected override _amend(raw: RawAnswers, ctx: QuestionContext): void {
    addItem(raw, 'databases', this._name(), 'database', ctx);
    this._ensureComponent(raw, 'postgres');
  }

  protected override _subject(plan: Plan): string {
    return `feat(postgres): add database ${this._name()} to ${plan.name}`;
  }
}
