/**
 * The run's summary of Secrets: what was encrypted or sealed now, kept, or is still to provide; never a
 * value. Grouped by Secret across clusters, so a fleet's summary is a few lines, not one per cluster.
 */
import { abbreviate } from '../names.js';
import type { Plan } from '../plan.js';
import type { SecretOutcome } from './index.js';
import { sealedSecretsCertPath } from './sealed.js';
import { sandboxMakes, secretSpecs, type SecretSpec } from './specs.js';

/** `databases/s3-credentials on every cluster`, `… on c0, c1, c2 and 37 more clusters`, `… on prod`. */
function grouped(plan: Plan, specs: SecretSpec[]): string {
  const byName = new Map<string, string[]>();
  for (const s of specs) byName.set(`${s.namespace}/${s.name}`, [...(byName.get(`${s.namespace}/${s.name}`) ?? []), s.cluster]);
  return [...byName]
    .map(([name, clusters]) => {
      const on = new Set(clusters);
      const where = plan.clusters.length > 1 && plan.clusters.every((c) => on.has(c.name)) ? 'every cluster' : abbreviate([...on], 'clusters');
      return `${name} on ${where}`;
    })
    .join('; ');
}

export function secretSummary(plan: Plan, outcome: SecretOutcome): string[] {
  const how = { sops: 'encrypted with SOPS/age', 'sealed-secrets': 'sealed', 'external-secrets': 'read from the secret store' }[plan.secrets];
  const lines: string[] = [];
  if (plan.secrets === 'external-secrets') {
    const specs = secretSpecs(plan);
    if (specs.length > 0) lines.push(`  Secrets ${how} ${plan.answers.secretStore}: ${grouped(plan, specs)}`);
    return lines;
  }
  if (outcome.made.length > 0) lines.push(`  Secrets ${how}: ${grouped(plan, outcome.made)}`);
  if (outcome.kept.length > 0) lines.push(`  Secrets kept as they are (no new values given): ${grouped(plan, outcome.kept)}`);
  // A sandbox's object storage key is the sandbox script's to make: not something to provide.
  const bySandbox = outcome.missing.filter((s) => sandboxMakes(plan, s));
  const missing = outcome.missing.filter((s) => !sandboxMakes(plan, s));
  if (bySandbox.length > 0) lines.push(`  Secrets the sandbox script makes in the cluster (not in git): ${grouped(plan, bySandbox)}`);
  if (missing.length > 0) {
    lines.push(`  Secrets still to provide (see the cluster READMEs): ${grouped(plan, missing)}`);
    if (plan.secrets === 'sops' && plan.answers.ageRecipients.length === 0) lines.push('    no age recipient: give --age-recipient or --age-generate to encrypt them');
    if (plan.secrets === 'sealed-secrets') {
      const without = plan.clusters.filter((c) => missing.some((m) => m.cluster === c.name) && !outcome.files.has(sealedSecretsCertPath(c.name)));
      if (without.length > 0) lines.push(`    no controller certificate for ${abbreviate(without.map((c) => c.name), 'clusters')}: give --sealed-secrets-cert [cluster=]file`);
    }
  }
  return lines;
}
