/**
 * `yo haven-plus:component <id> [--cluster <name>] [--remove]`: adds a component (its dependencies
 * follow from the catalog) to every cluster or to one, or takes it out again, and with it whatever
 * only it needed.
 */
import { requiredClosure } from '../../lib/catalog.js';
import { AnswersError, HavenPlusError } from '../../lib/errors.js';
import type { Plan } from '../../lib/plan.js';
import { parseClusterComponent, parseClusterSpec, selectableComponents, type QuestionContext, type RawAnswers } from '../../lib/questions.js';
import { DayTwoGenerator } from '../app/day-two.js';
import { didYouMean } from '../../lib/suggest.js';

export default class ComponentGenerator extends DayTwoGenerator {
  protected readonly argumentName = 'component';

  protected override _declareArguments(): void {
    this.argument('component', { type: String, required: true, description: 'the component to add or remove (haven-plus --help lists them; docs/components.md describes them)' });
    this.option('cluster', { type: String, description: 'only this cluster (default: every cluster)' });
    this.option('remove', { type: Boolean, description: 'take the component out instead of adding it' });
  }

  protected override _amend(raw: RawAnswers, ctx: QuestionContext): void {
    const id = this._name();
    const cluster = this._opt<string>('cluster');
    const selectable = selectableComponents(ctx);
    if (!selectable.includes(id)) {
      throw new AnswersError([{ answer: 'component', problem: `${JSON.stringify(id)} is not a component${didYouMean(id, selectable)}`, allowed: selectable.join(', ') }]);
    }
    const clusters = ((raw.clusters as string[] | undefined) ?? []).map((c) => parseClusterSpec(c).name);
    if (cluster !== undefined && !clusters.includes(cluster)) {
      throw new AnswersError([{ answer: 'cluster', problem: `${JSON.stringify(cluster)} is not a cluster of this repository${didYouMean(cluster, clusters)}`, allowed: clusters.join(', ') }]);
    }
    const global = (raw.components as string[] | undefined) ?? [];
    const perCluster = ((raw['cluster-components'] as string[] | undefined) ?? []).map(parseClusterComponent);
    const onClusters = perCluster.filter((e) => e.component === id).map((e) => e.cluster);
    const where = cluster ? `cluster ${cluster}` : 'every cluster';
    let nextGlobal = global;
    let nextPerCluster = perCluster;
    if (!this._opt('remove')) {
      if (global.includes(id)) throw new HavenPlusError(`component: ${id} already runs on every cluster`, 2);
      if (cluster && onClusters.includes(cluster)) throw new HavenPlusError(`component: ${id} already runs on cluster ${cluster}`, 2);
      if (cluster) nextPerCluster = [...perCluster, { cluster, component: id }];
      else {
        // Platform-wide now: the single-cluster entries it had become redundant.
        nextGlobal = [...global, id];
        nextPerCluster = perCluster.filter((e) => e.component !== id);
      }
    } else {
      if (cluster && global.includes(id)) {
        throw new HavenPlusError(`component: ${id} runs on every cluster; remove it from all of them (without --cluster), then add it back to the clusters that keep it`, 2);
      }
      if (cluster ? !onClusters.includes(cluster) : !global.includes(id) && onClusters.length === 0) {
        const chosen = [...global, ...perCluster.map((e) => `${e.cluster}=${e.component}`)];
        throw new HavenPlusError(`component: ${id} is not chosen for ${where} (chosen: ${chosen.join(', ') || 'none'})`, 2);
      }
      nextGlobal = cluster ? global : global.filter((c) => c !== id);
      nextPerCluster = perCluster.filter((e) => e.component !== id || (cluster !== undefined && e.cluster !== cluster));
      // What is still chosen and needs it (as a dependency) keeps it: say so rather than leave it half there.
      for (const c of cluster ? [cluster] : clusters) {
        const rest = [...nextGlobal, ...nextPerCluster.filter((e) => e.cluster === c).map((e) => e.component)];
        const needing = rest.filter((other) => requiredClosure([other], ctx.catalog.components).has(id));
        if (needing.length > 0) throw new HavenPlusError(`component: ${id} is needed by ${needing.join(', ')} on cluster ${c}; remove ${needing.length > 1 ? 'those' : 'that'} first`, 2);
      }
    }
    if (nextGlobal.length === 0) throw new HavenPlusError(`component: ${id} is the last platform-wide component; a platform needs at least one`, 2);
    raw.components = nextGlobal;
    raw['cluster-components'] = nextPerCluster.map((e) => `${e.cluster}=${e.component}`);
  }

  protected override _subject(plan: Plan): string {
    const id = this._name();
    const cluster = this._opt<string>('cluster');
    const where = cluster ? ` on cluster ${cluster}` : '';
    return this._opt('remove') ? `feat(${id}): remove ${id}${where} from ${plan.name}` : `feat(${id}): add ${id}${where} to ${plan.name}`;
  }
}
