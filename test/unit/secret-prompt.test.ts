/**
 * The hidden prompt for a secret value says every Secret it goes into: one object storage key per
 * cluster feeds Loki, Mimir, Tempo, the databases' backups, Keycloak and Velero alike.
 */
import { describe, expect, it } from 'vitest';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { buildPlan } from '../../lib/plan.js';
import type { QuestionContext } from '../../lib/questions.js';
import { secretSpecs } from '../../lib/secrets/specs.js';
import { valuePrompt } from '../../lib/secrets/values.js';

const ctx: QuestionContext = { catalog: loadCatalog(), directoryName: 'gemeente-x' };
const specsFor = (components: string[]) => secretSpecs(buildPlan(resolveAnswers(withDefaults({ name: 'x', provider: 'ovhcloud', clusters: ['prod'], components }, ctx), ctx), ctx.catalog));

describe('valuePrompt', () => {
  it('names each Secret a shared object storage key goes into', () => {
    const specs = specsFor(['loki', 'postgres', 'velero']);
    const s3 = specs.find((s) => s.name === 's3-credentials')!;
    const message = valuePrompt(s3, s3.keys[0], specs);
    expect(message).toMatch(/^cluster prod: s3-credentials S3_ACCESS_KEY_ID \(access key ID; one value for \d Secrets: /);
    for (const consumer of ['(loki)', '(postgres)', '(velero)']) expect(message).toContain(consumer);
    expect(message).not.toMatch(/Loki buckets/);
  });

  it("a value only one Secret takes says that Secret's purpose", () => {
    const specs = specsFor(['postgres']);
    const s3 = specs.find((s) => s.name === 's3-credentials')!;
    expect(valuePrompt(s3, s3.keys[0], specs)).toBe(`cluster prod: s3-credentials S3_ACCESS_KEY_ID (access key ID; ${s3.description}); empty to provide it later`);
  });
});
