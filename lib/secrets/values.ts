/**
 * Secret values: from HAVEN_PLUS_SECRET_* environment variables, a --secret-file, or hidden
 * prompts; never from flags (shell history, process lists) and never stored. A value for one
 * cluster beats a value for every cluster; at the same level the environment beats the file.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import { HavenPlusError } from '../errors.js';
import { secretEnvName, type SecretSpec } from './specs.js';

/** cluster/namespace/secret/key → value */
export type SecretValues = Map<string, string>;

/** The value of one key of one Secret on one cluster: a Secret is its namespace and name. */
export const valueKey = (spec: Pick<SecretSpec, 'cluster' | 'namespace' | 'name'>, key: string) => `${spec.cluster}/${spec.namespace}/${spec.name}/${key}`;

/**
 * Values as given: `all` for every cluster, by `secret/key` or, for one consumer of a shared Secret,
 * `namespace/secret/key`; `perCluster` the same behind `cluster/`.
 */
interface Layer {
  all: Map<string, string>;
  perCluster: Map<string, string>;
}

/** The real path of `p`, resolving symlinks of the part that exists (the target may not exist yet). */
function canonical(p: string): string {
  let current = resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(current), ...rest);
    } catch {
      const parent = dirname(current);
      if (parent === current) return resolve(p);
      rest.unshift(basename(current));
      current = parent;
    }
  }
}

/** True when `path` is `dir` or inside it, symlinks resolved. */
export function isInside(path: string, dir: string): boolean {
  const rel = relative(canonical(dir), canonical(path));
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** Reads and checks a secret file against the Secrets the plan needs. Every problem is reported at once. */
export function readSecretFile(file: string, specs: SecretSpec[], clusters: string[], repository: string): Layer {
  const path = resolve(file);
  if (isInside(path, repository)) {
    throw new HavenPlusError(
      `secret-file: ${file} is inside the repository ${repository}; a file of secret values must never be where git can pick it up.\n  Keep it outside the repository (e.g. in ~/.config or a password manager export).`,
      2,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new HavenPlusError(`secret-file: cannot read ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 2);
  }
  let doc: unknown;
  try {
    doc = parse(text, { uniqueKeys: true, version: '1.2' });
  } catch (error) {
    // Never echo the parser's excerpt: it may contain a secret value.
    throw new HavenPlusError(`secret-file: ${JSON.stringify(file)} is not valid YAML (${(error as { code?: string }).code ?? 'parse error'})`, 2);
  }
  const problems: string[] = [];
  const layer: Layer = { all: new Map(), perCluster: new Map() };
  // A Secret is named alone (every Secret of that name) or as namespace/name (that one only).
  const known = new Map<string, string[]>();
  const add = (id: string, keys: string[]) => known.set(id, [...new Set([...(known.get(id) ?? []), ...keys])]);
  for (const s of specs) {
    add(s.name, s.keys.map((k) => k.name));
    add(`${s.namespace}/${s.name}`, s.keys.map((k) => k.name));
  }
  const allowedSecrets = known.size > 0 ? `${[...known.keys()].filter((k) => !k.includes('/')).join(', ')}; or one of them as namespace/name: ${[...known.keys()].filter((k) => k.includes('/')).join(', ')}` : 'none: no component of this platform reads a Secret';

  const readSecrets = (value: unknown, where: string, into: (secret: string, key: string, v: string) => void) => {
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) return problems.push(`${where}: must map Secret names to their keys (allowed: ${allowedSecrets})`);
    for (const [secret, keys] of Object.entries(value as Record<string, unknown>)) {
      const allowedKeys = known.get(secret);
      if (!allowedKeys) {
        problems.push(`${where}.${secret}: is not a Secret this platform needs (allowed: ${allowedSecrets})`);
        continue;
      }
      if (!keys || typeof keys !== 'object' || Array.isArray(keys)) {
        problems.push(`${where}.${secret}: must map keys to values (keys: ${allowedKeys.join(', ')})`);
        continue;
      }
      for (const [key, v] of Object.entries(keys as Record<string, unknown>)) {
        if (!allowedKeys.includes(key)) problems.push(`${where}.${secret}.${key}: is not a key of ${secret} (keys: ${allowedKeys.join(', ')})`);
        else if (typeof v !== 'string') problems.push(`${where}.${secret}.${key}: must be a string (quote it in YAML)`);
        else if (v.length === 0) problems.push(`${where}.${secret}.${key}: is empty`);
        else into(secret, key, v);
      }
    }
  };

  if (doc !== null && doc !== undefined) {
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      problems.push('the file must be a mapping with `secrets:` (every cluster) and/or `clusters: {<cluster>: ...}`');
    } else {
      for (const [top, value] of Object.entries(doc as Record<string, unknown>)) {
        if (top === 'secrets') readSecrets(value, 'secrets', (s, k, v) => layer.all.set(`${s}/${k}`, v));
        else if (top === 'clusters') {
          if (!value || typeof value !== 'object' || Array.isArray(value)) {
            problems.push('clusters: must map cluster names to Secrets');
            continue;
          }
          for (const [cluster, secrets] of Object.entries(value as Record<string, unknown>)) {
            if (!clusters.includes(cluster)) problems.push(`clusters.${cluster}: is not a cluster of this platform (clusters: ${clusters.join(', ')})`);
            else readSecrets(secrets, `clusters.${cluster}`, (s, k, v) => layer.perCluster.set(`${cluster}/${s}/${k}`, v));
          }
        } else problems.push(`${top}: is not known (allowed: secrets, clusters)`);
      }
    }
  }
  if (problems.length > 0) {
    throw new HavenPlusError(`secret-file ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`, 2);
  }
  return layer;
}

/** Values from the environment for the Secrets the plan needs. */
function fromEnvironment(specs: SecretSpec[], env: NodeJS.ProcessEnv): Layer {
  const layer: Layer = { all: new Map(), perCluster: new Map() };
  const take = (into: Map<string, string>, id: string, name: string) => {
    const v = env[name];
    if (v) into.set(id, v);
  };
  for (const s of specs) {
    for (const k of s.keys) {
      take(layer.all, `${s.name}/${k.name}`, secretEnvName(s.name, k.name));
      take(layer.all, `${s.namespace}/${s.name}/${k.name}`, secretEnvName(s.name, k.name, undefined, s.namespace));
      take(layer.perCluster, `${s.cluster}/${s.name}/${k.name}`, secretEnvName(s.name, k.name, s.cluster));
      take(layer.perCluster, `${s.cluster}/${s.namespace}/${s.name}/${k.name}`, secretEnvName(s.name, k.name, s.cluster, s.namespace));
    }
  }
  return layer;
}

/**
 * Every value given for the plan's Secrets, resolved per Secret: its keys all come from the most specific
 * level that gives any of them (one cluster and namespace, one cluster, one namespace, everywhere), so an
 * access key ID never meets another key's secret; at the same level the environment beats the file. A
 * HAVEN_PLUS_SECRET_ variable that names nothing this platform takes is refused (a typo would otherwise
 * leave the Secret unmade without a word), and so is a value for one namespace where a backend holds the
 * one key every Secret of that name must have.
 */
export function collectSecretValues(
  specs: SecretSpec[],
  sources: { env: NodeJS.ProcessEnv; file?: string; clusters: string[]; repository: string },
): SecretValues {
  const problems = new Set<string>();
  const known = new Set(specs.flatMap((s) => s.keys.flatMap((k) => [secretEnvName(s.name, k.name), secretEnvName(s.name, k.name, s.cluster), secretEnvName(s.name, k.name, undefined, s.namespace), secretEnvName(s.name, k.name, s.cluster, s.namespace)])));
  for (const name of Object.keys(sources.env).filter((n) => n.startsWith('HAVEN_PLUS_SECRET_') && !known.has(n)).sort()) {
    const secrets = [...new Set(specs.map((s) => s.name))];
    problems.add(
      `${name}: names no Secret value this platform takes (its Secrets: ${secrets.join(', ') || 'none'}; namespaces: ${[...new Set(specs.map((s) => s.namespace))].join(', ') || 'none'}; the forms: HAVEN_PLUS_SECRET_[<CLUSTER>__]<SECRET>__<KEY>[__IN__<NAMESPACE>])`,
    );
  }
  const env = fromEnvironment(specs, sources.env);
  const file = sources.file ? readSecretFile(sources.file, specs, sources.clusters, sources.repository) : { all: new Map(), perCluster: new Map() };
  const values: SecretValues = new Map();
  for (const s of specs) {
    const levels = [
      { layer: 'perCluster' as const, id: `${s.cluster}/${s.namespace}/${s.name}`, what: `cluster ${s.cluster} and namespace ${s.namespace}`, namespaced: true },
      { layer: 'perCluster' as const, id: `${s.cluster}/${s.name}`, what: `cluster ${s.cluster}`, namespaced: false },
      { layer: 'all' as const, id: `${s.namespace}/${s.name}`, what: `namespace ${s.namespace}`, namespaced: true },
      { layer: 'all' as const, id: s.name, what: 'every cluster', namespaced: false },
    ];
    for (const level of levels) {
      const got = s.keys.map((k) => env[level.layer].get(`${level.id}/${k.name}`) ?? file[level.layer].get(`${level.id}/${k.name}`));
      if (got.every((v) => v === undefined)) continue;
      const where = `${s.namespace}/${s.name} on cluster ${s.cluster}`;
      if (level.namespaced && s.oneValue !== undefined) {
        problems.add(`${where}: a value for namespace ${s.namespace} alone is refused: ${s.oneValue} holds one key, its own ${s.name}, which every Secret of that name takes (give it without a namespace: ${secretEnvName(s.name, s.keys[0].name, s.cluster)}, or ${s.name} in the secret file)`);
      } else if (got.some((v) => v === undefined)) {
        const named = (given: boolean) => s.keys.filter((_k, i) => (got[i] !== undefined) === given).map((k) => k.name).join(', ');
        problems.add(`${where}: ${named(true)} is given for ${level.what}, ${named(false)} is not: give every key of a Secret at one level (an access key ID and its secret belong together)`);
      } else s.keys.forEach((k, i) => values.set(valueKey(s, k.name), got[i]!));
      break;
    }
  }
  if (problems.size > 0) throw new HavenPlusError(`secret values:\n${[...problems].map((p) => `  - ${p}`).join('\n')}`, 2);
  return values;
}

/**
 * The hidden prompt for one value of one or more Secrets (`targets`): a value for several goes into every
 * Secret of that name on the cluster (one object storage key for Loki, Mimir, Tempo, the databases,
 * Keycloak and Velero, say), so the prompt names each of them, not only the first.
 */
export function valuePrompt(targets: SecretSpec[], key: { name: string; description: string }): string {
  const [spec] = targets;
  if (targets.length === 1) return `cluster ${spec.cluster}: ${spec.namespace}/${spec.name} ${key.name} (${key.description}; ${spec.description}); empty to provide it later`;
  const uses = `one value for ${targets.length} Secrets: ${targets.map((s) => `${s.namespace}/${s.name} (${s.component})`).join(', ')}; it needs what each of them needs`;
  return `cluster ${spec.cluster}: ${spec.name} ${key.name} (${key.description}; ${uses}); empty to provide it later`;
}

/** Whether to give Secrets of one name on a cluster one value each key, or a value to each (asked first). */
export function sharePrompt(targets: SecretSpec[]): string {
  const [spec] = targets;
  return `cluster ${spec.cluster}: use one ${spec.name} value for all ${targets.length} Secrets of that name (${targets.map((s) => `${s.namespace} for ${s.component}`).join(', ')})? (no: a key of its own for each)`;
}
