/**
 * `yo haven-plus:bucket <name>` / `haven-plus bucket <name>`: one more application bucket on each
 * cluster's object storage, with its credentials reference (object storage is added when needed).
 */
import type { Plan } from '../../lib/plan.js';
import type { QuestionContext, RawAnswers } from '../../lib/questions.js';
import { addItem, DayTwoGenerator } from '../app/day-two.js';

export default class BucketGenerator extends DayTwoGenerator {
  protected readonly argumentName = 'bucket';

  protected override _declareArguments(): void {
    this.argument('bucket', { type: String, required: true, description: 'the bucket purpose to add (the bucket is <platform>-<cluster>-<name>): a DNS label of at most 30 characters' });
  }

  protected override _amend(raw: RawAnswers, ctx: QuestionContext): void {
    this._ensureComponent(raw, 'object-storage');
    addItem(raw, 'buckets', this._name(), 'bucket', ctx);
  }

  protected override _subject(plan: Plan): string {
    return `feat(object-storage): add bucket ${this._name()} to ${plan.name}`;
  }
}
