/**
 * `yo haven-plus:upgrade` / `haven-plus upgrade`: re-renders the repository with this generator's
 * catalog (new chart versions, fixed templates), shows what moves, then merges it as every run does.
 */
import { GENERATOR_NAME, GENERATOR_VERSION } from '../../lib/package-info.js';
import type { Plan } from '../../lib/plan.js';
import { readRepository } from '../../lib/validate/directory.js';
import { formatChange, pinnedVersions, versionChanges } from '../../lib/versions.js';
import { DayTwoGenerator } from '../app/day-two.js';

export default class UpgradeGenerator extends DayTwoGenerator {
  private changes: string[] = [];

  protected readonly argumentName = '';

  protected override _declareArguments(): void {}

  protected override async _beforeWriting(): Promise<boolean> {
    const { files, plan } = this.prepared;
    // The repository as it is now (the work tree is clean, so also as committed).
    const before = pinnedVersions(readRepository(this.target).entries(), plan.gitRemote);
    this.changes = versionChanges(before, pinnedVersions(files.entries(), plan.gitRemote)).map(formatChange);
    const from = this.storedVersion ?? 'unknown';
    this.log(from === GENERATOR_VERSION ? `The repository is already at ${GENERATOR_NAME} ${GENERATOR_VERSION}.` : `Upgrading from ${GENERATOR_NAME} ${from} to ${GENERATOR_VERSION}.`);
    this.log(this.changes.length > 0 ? `Pinned versions that change:\n${this.changes.map((c) => `    ${c}`).join('\n')}` : 'No pinned version changes.');
    if (!this._interactive || this._dryRun) return true;
    const answer = (await this.prompt([{ type: 'confirm', name: 'go', message: 'Apply the upgrade (your edits are merged, not overwritten)?', default: true } as never])) as { go?: boolean };
    if (answer.go !== true) this.log('Upgrade cancelled: nothing was written.');
    return answer.go === true;
  }

  protected override _subject(plan: Plan): string {
    const subject = `chore(deps): upgrade ${plan.name} to ${GENERATOR_NAME} ${GENERATOR_VERSION}`;
    return this.changes.length > 0 ? `${subject}\n\n${this.changes.join('\n')}` : subject;
  }
}
