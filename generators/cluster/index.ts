/**
 * `yo haven-plus:cluster <name> [--provider <id>]` / `haven-plus cluster <name>`: one more cluster
 * with every platform-wide component and the overlays of its provider (the first step of moving
 * provider). --provider is the new cluster's provider here, not the platform default.
 */
import { parseClusterSpec, type QuestionContext, type RawAnswers } from '../../lib/questions.js';
import type { Plan } from '../../lib/plan.js';
import { addItem, DayTwoGenerator } from '../app/day-two.js';

export default class ClusterGenerator extends DayTwoGenerator {
  private provider: string | undefined;

  protected readonly argumentName = 'cluster';

  protected override _declareArguments(): void {
    this.argument('cluster', { type: String, required: true, description: 'the cluster to add: a DNS label of at most 40 characters' });
  }

  protected override _takeFlags(flags: Record<string, unknown>): void {
    if (typeof flags.provider === 'string') this.provider = flags.provider;
    delete flags.provider;
  }

  protected override _amend(raw: RawAnswers, ctx: QuestionContext): void {
    const name = this._name();
    const taken = ((raw.clusters as string[] | undefined) ?? []).map((c) => parseClusterSpec(c).name);
    addItem(raw, 'clusters', this.provider && this.provider !== raw.provider ? `${name}:${this.provider}` : name, 'cluster', ctx, taken);
  }

  protected override _subject(plan: Plan): string {
    const cluster = plan.clusters.find((c) => c.name === this._name())!;
    return `feat(clusters): add cluster ${cluster.name} on ${cluster.provider.id} to ${plan.name}`;
  }
}
