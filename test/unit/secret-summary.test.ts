/** The run's Secret summary is grouped by Secret across clusters: a fleet gets a line, not one entry per cluster. */
import { describe, expect, it } from 'vitest';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { buildPlan } from '../../lib/plan.js';
import type { QuestionContext, RawAnswers } from '../../lib/questions.js';
import { secretSpecs } from '../../lib/secrets/specs.js';
import { secretSummary } from '../../lib/secrets/summary.js';

const ctx: QuestionContext = { catalog: loadCatalog(), directoryName: 'gemeente-x' };
const planOf = (raw: RawAnswers) => buildPlan(resolveAnswers(withDefaults({ name: 'x', provider: 'ovhcloud', components: ['postgres'], ...raw }, ctx), ctx), ctx.catalog);

describe('secretSummary', () => {
  it('a 342-cluster fleet: one short line per kind of outcome', () => {
    const plan = planOf({ clusters: Array.from({ length: 342 }, (_, i) => `c${i}`) });
    const lines = secretSummary(plan, { made: [], kept: [], missing: secretSpecs(plan), files: new Map() } as never);
    expect(lines[0]).toBe('  Secrets still to provide (see the cluster READMEs): databases/s3-credentials on every cluster');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(120);
  });

  it('some clusters: named, and abbreviated past five', () => {
    const plan = planOf({ clusters: Array.from({ length: 9 }, (_, i) => `c${i}`) });
    const specs = secretSpecs(plan);
    const lines = secretSummary(plan, { made: specs.slice(0, 2), kept: [], missing: specs.slice(2), files: new Map() } as never);
    expect(lines[0]).toBe('  Secrets encrypted with SOPS/age: databases/s3-credentials on c0, c1');
    expect(lines[1]).toBe('  Secrets still to provide (see the cluster READMEs): databases/s3-credentials on c2, c3, c4 and 4 more clusters');
  });
  it("a laptop sandbox's object storage key is the sandbox script's to make: said so, not listed as still to provide", () => {
    const plan = planOf({ provider: 'local', components: ['postgres', 'velero'] });
    const lines = secretSummary(plan, { made: [], kept: [], missing: secretSpecs(plan), files: new Map() } as never);
    expect(lines).toEqual([
      '  Secrets the sandbox script makes in the cluster (not in git): databases/s3-credentials on local; velero/s3-credentials on local',
      '  Secrets still to provide (see the cluster READMEs): velero/velero-repo-credentials on local',
      '    no age recipient: give --age-recipient or --age-generate to encrypt them',
    ]);
  });
});
