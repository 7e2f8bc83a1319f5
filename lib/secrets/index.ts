/**
 * Secret files for a plan, made before rendering: SOPS-encrypted or sealed from the values given,
 * kept as they are when no new values are given, listed as missing otherwise. Encryption is
 * randomised by design, so a file is only rewritten when its values are given again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseDocument } from 'yaml';
import { HavenPlusError } from '../errors.js';
import type { Plan } from '../plan.js';
import { documents } from '../render/manifests.js';
import { didYouMean } from '../suggest.js';
import { CertificateError, readCertificate, sealSecret, sealedSecretsCertPath, type SealingCertificate } from './sealed.js';
import { encryptSops } from './sops.js';
import { secretPath, secretSpecs, type SecretSpec } from './specs.js';
import { valueKey, type SecretValues } from './values.js';

export interface SecretInputs {
  values: SecretValues;
  /** cluster → the Sealed Secrets controller certificate (sealed-secrets only). */
  certificates: Map<string, SealingCertificate>;
  /** Content of a repository file as it is on disk, if it exists. */
  existing: (path: string) => string | undefined;
  now?: Date;
}

export interface SecretOutcome {
  files: Map<string, string>;
  /** Encrypted or sealed in this run. */
  made: SecretSpec[];
  /** Kept from the repository (no new values given). */
  kept: SecretSpec[];
  /** Needed, but neither given nor in the repository: listed in the cluster README. */
  missing: SecretSpec[];
}

/** Whether values given for a Secret can be turned into a file on this cluster. */
export function canMake(plan: Plan, spec: SecretSpec, certificates: Map<string, SealingCertificate>): boolean {
  if (plan.secrets === 'sops') return plan.answers.ageRecipients.length > 0;
  if (plan.secrets === 'sealed-secrets') return certificates.has(spec.cluster);
  return false;
}

export async function makeSecretFiles(plan: Plan, inputs: SecretInputs): Promise<SecretOutcome> {
  const outcome: SecretOutcome = { files: new Map(), made: [], kept: [], missing: [] };
  for (const [cluster, cert] of inputs.certificates) outcome.files.set(sealedSecretsCertPath(cluster), cert.pem);
  if (plan.secrets === 'external-secrets') return outcome;
  const partial: string[] = [];
  for (const spec of secretSpecs(plan)) {
    const path = secretPath(spec, plan.secrets);
    const given = spec.keys.filter((k) => inputs.values.has(valueKey(spec, k.name)));
    if (given.length > 0 && given.length < spec.keys.length) {
      const absent = spec.keys.filter((k) => !given.includes(k)).map((k) => k.name);
      partial.push(`cluster ${spec.cluster}: Secret ${spec.namespace}/${spec.name} has values for ${given.map((k) => k.name).join(', ')} but not for ${absent.join(', ')}`);
      continue;
    }
    if (given.length > 0 && canMake(plan, spec, inputs.certificates)) {
      const data = { ...spec.literals, ...Object.fromEntries(spec.keys.map((k) => [k.name, inputs.values.get(valueKey(spec, k.name))!])) };
      outcome.files.set(path, await secretFile(plan, spec, data, inputs));
      outcome.made.push(spec);
      continue;
    }
    const current = inputs.existing(path);
    if (current !== undefined) {
      outcome.files.set(path, spec.labels ? relabel(current, spec.labels) : current);
      outcome.kept.push(spec);
    } else outcome.missing.push(spec);
  }
  if (partial.length > 0) {
    throw new HavenPlusError(`secret values: a Secret is written whole or not at all:\n${partial.map((p) => `  - ${p}`).join('\n')}\n  Give every key (environment or --secret-file), or none to keep what the repository has.`, 2);
  }
  return outcome;
}

/**
 * A kept SealedSecret with the labels of this run: labels are plain metadata of its template (not
 * sealed), and they change with the cluster (an ApplicationSet selects on them). Unchanged text stays as it is.
 */
function relabel(text: string, labels: Record<string, string>): string {
  // YAML 1.1 rules, as the generator writes: a label value "yes" stays a quoted string.
  const doc = parseDocument(text, { version: '1.1' });
  const path = ['spec', 'template', 'metadata', 'labels'];
  if (doc.errors.length > 0 || doc.get('kind') !== 'SealedSecret') return text;
  const current = (doc.toJS() as { spec?: { template?: { metadata?: { labels?: unknown } } } } | null)?.spec?.template?.metadata?.labels;
  if (isDeepStrictEqual(current, labels)) return text;
  doc.setIn(path, doc.createNode(labels));
  return doc.toString({ lineWidth: 0, minContentWidth: 0, indent: 2, directives: false });
}

async function secretFile(plan: Plan, spec: SecretSpec, data: Record<string, string>, inputs: SecretInputs): Promise<string> {
  if (plan.secrets === 'sealed-secrets') {
    const scope = plan.answers.sealingScope;
    const sealed = sealSecret(inputs.certificates.get(spec.cluster)!, { name: spec.name, namespace: spec.namespace, data, labels: spec.labels }, scope);
    return documents([sealed], `${spec.description}. Sealed for cluster ${spec.cluster} (${scope} scope); only its controller can open it.`);
  }
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    // Flux substitutes variables after decrypting (shared overlays): a `$` in a value must reach the cluster as written.
    metadata: { name: spec.name, namespace: spec.namespace, annotations: { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' } },
    type: 'Opaque',
    stringData: data,
  };
  return encryptSops(secret, plan.answers.ageRecipients, inputs.now ?? new Date());
}

/**
 * Reads --sealed-secrets-cert values (`[cluster=]file`; a bare file is every cluster's) and, for the
 * clusters without one, the copy kept in the repository. Every problem is reported at once.
 */
export function loadCertificates(specs: string[], clusters: string[], repository: string, now = new Date()): Map<string, SealingCertificate> {
  const certificates = new Map<string, SealingCertificate>();
  const problems: string[] = [];
  const given = new Map<string, string>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const cluster = eq > 0 && !spec.slice(0, eq).includes('/') ? spec.slice(0, eq) : undefined;
    const file = cluster ? spec.slice(eq + 1) : spec;
    if (cluster && !clusters.includes(cluster)) {
      problems.push(`${JSON.stringify(spec)}: ${JSON.stringify(cluster)} is not a cluster of this platform${didYouMean(cluster, clusters)} (clusters: ${clusters.join(', ')})`);
      continue;
    }
    for (const c of cluster ? [cluster] : clusters) {
      if (given.has(c) && given.get(c) !== file) problems.push(`cluster ${c} is given two certificates (${given.get(c)} and ${file})`);
      given.set(c, file);
    }
  }
  for (const cluster of clusters) {
    const file = given.get(cluster);
    const source = file ?? join(repository, sealedSecretsCertPath(cluster));
    if (!file && !existsSync(source)) continue;
    let pem: string;
    try {
      pem = readFileSync(source, 'utf8');
    } catch (error) {
      problems.push(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      continue;
    }
    try {
      certificates.set(cluster, readCertificate(pem, now));
    } catch (error) {
      if (!(error instanceof CertificateError)) throw error;
      problems.push(`${file ?? sealedSecretsCertPath(cluster)} (cluster ${cluster}) ${error.message}`);
    }
  }
  if (problems.length > 0) {
    throw new HavenPlusError(
      `sealed-secrets-cert:\n${problems.map((p) => `  - ${p}`).join('\n')}\n  allowed: [cluster=]file with the PEM certificate of that cluster's controller (kubeseal --fetch-cert)`,
      2,
    );
  }
  return certificates;
}

/** The secret files and certificates a repository already has for a plan (the base of a re-run). */
export function existingSecretFiles(plan: Plan, existing: (path: string) => string | undefined): Map<string, string> {
  const files = new Map<string, string>();
  const keep = (path: string) => {
    const content = existing(path);
    if (content !== undefined) files.set(path, content);
  };
  if (plan.secrets === 'sealed-secrets') for (const c of plan.clusters) keep(sealedSecretsCertPath(c.name));
  if (plan.secrets !== 'external-secrets') for (const spec of secretSpecs(plan)) keep(secretPath(spec, plan.secrets));
  return files;
}
