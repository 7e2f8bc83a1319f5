/**
 * `yo haven-plus:upgrade` / `haven-plus upgrade`: re-renders the repository with this generator's
 * catalog (new chart versions, fixed templates), shows what moves, then merges it as every run does.
 */
import { environmentVersionsIn } from '../../lib/environments.js';
import { AnswersError } from '../../lib/errors.js';
import { GENERATOR_NAME, GENERATOR_VERSION } from '../../lib/package-info.js';
import { environmentsOf, parseClusterSetting, parseClusterSpec, type QuestionContext, type RawAnswers } from '../../lib/questions.js';
import type { Plan } from '../../lib/plan.js';
import { readRepository } from '../../lib/validate/directory.js';
import { chartsWithoutFacts, formatChange, pinnedVersions, versionChanges } from '../../lib/versions.js';
import { DayTwoGenerator } from '../app/day-two.js';

export default class UpgradeGenerator extends DayTwoGenerator {
  private changes: string[] = [];

  protected readonly argumentName = '';

  protected override _declareArguments(): void {
    this.option('environments', { type: String, description: 'move only these environments (comma-separated) to the new versions; the others keep what they run now' });
  }

  /**
   * With --environments, the named environments take this version's pins and every other one is held at
   * what it runs now (read from the repository), so a new version goes to test first and reaches
   * production when it is promoted. Without it, every environment moves except versions already held.
   */
  protected override _amend(raw: RawAnswers, ctx: QuestionContext): void {
    const option = this._opt<string>('environments');
    if (option === undefined) return;
    const environments = environmentsOf(raw);
    const moving = option.split(',').map((e) => e.trim()).filter(Boolean);
    const unknown = moving.filter((e) => !environments.includes(e));
    if (moving.length === 0 || unknown.length > 0) {
      throw new AnswersError([
        {
          answer: 'environments',
          problem: moving.length === 0 ? 'names no environment' : `${unknown.map((e) => JSON.stringify(e)).join(', ')} ${unknown.length > 1 ? 'are not environments' : 'is not an environment'} of this repository's clusters`,
          allowed: environments.length > 0 ? environments.join(', ') : 'none: give clusters an environment first (--cluster-settings <cluster>.environment=<name>)',
        },
      ]);
    }
    const clusters = ((raw.clusters as string[] | undefined) ?? []).map((c) => parseClusterSpec(c).name);
    const settings = ((raw['cluster-settings'] as string[] | undefined) ?? []).map(parseClusterSetting);
    const layout = {
      clusters: clusters.map((name) => ({ name, environment: settings.find((s) => s.cluster === name && s.key === 'environment')?.value })),
      hub: raw.topology === 'hub' ? ((raw['hub-cluster'] as string | undefined) ?? clusters[0]) : undefined,
    };
    const now = environmentVersionsIn(readRepository(this.target).entries(), ctx.catalog, layout);
    // The plan drops holds that equal this version's pin or name a release the environment no longer runs.
    raw['environment-versions'] = [...now]
      .filter(([environment]) => !moving.includes(environment))
      .flatMap(([environment, versions]) => [...versions].map(([release, version]) => `${environment}.${release}=${version}`));
  }

  protected override async _beforeWriting(): Promise<boolean> {
    const { files, plan } = this.prepared;
    // The repository as it is now (the work tree is clean, so also as committed).
    const before = pinnedVersions(readRepository(this.target).entries(), plan.gitRemote);
    this.changes = versionChanges(before, pinnedVersions(files.entries(), plan.gitRemote)).map(formatChange);
    const from = this.storedVersion ?? 'unknown';
    this.log(from === GENERATOR_VERSION ? `The repository is already at ${GENERATOR_NAME} ${GENERATOR_VERSION}.` : `Upgrading from ${GENERATOR_NAME} ${from} to ${GENERATOR_VERSION}.`);
    this.log(this.changes.length > 0 ? `Pinned versions that change:\n${this.changes.map((c) => `    ${c}`).join('\n')}` : 'No pinned version changes.');
    const unknown = chartsWithoutFacts(plan);
    if (unknown.length > 0) {
      this.log(
        `No chart facts for ${unknown.join(', ')}: validation cannot see what ${unknown.length > 1 ? 'these charts render' : 'this chart renders'} ` +
          '(namespaces an Argo CD project must allow, images a registry mirror must serve). Gather them as docs/chart-facts.md says before relying on it.',
      );
    }
    if (!this._interactive || this._dryRun) return true;
    const answer = (await this._prompt([{ type: 'confirm', name: 'go', message: 'Apply the upgrade (your edits are merged, not overwritten)?', default: true } as never])) as { go?: boolean };
    if (answer.go !== true) this.log('Upgrade cancelled: nothing was written.');
    return answer.go === true;
  }

  protected override _subject(plan: Plan): string {
    const subject = `chore(deps): upgrade ${plan.name} to ${GENERATOR_NAME} ${GENERATOR_VERSION}`;
    return this.changes.length > 0 ? `${subject}\n\n${this.changes.join('\n')}` : subject;
  }
}
