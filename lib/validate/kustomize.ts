/** Builds every top-level kustomization directory (bases and Components inside those that include them) of a repository on disk with `kubectl kustomize`. */
import { existsSync, lstatSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { isCollection, isScalar, parseAllDocuments, visit, type Document } from 'yaml';
import { duplicateKeys, goAliasKeys, isComponent, isRemote, KUSTOMIZATION_FILES, objectsOf, setOwn, short } from './build.js';
import { error, type Finding } from './findings.js';


export async function kubectlAvailable(): Promise<boolean> {
  // execa is loaded when a process is started: a validation that needs none never loads it.
  const { execa } = await import('execa');
  try {
    await execa('kubectl', ['version', '--client'], { stdin: 'ignore', shell: false, env: kubectlBaseEnv(), extendEnv: false, timeout: KUBECTL_TIMEOUT_MS });
    return true;
  } catch {
    return false;
  }
}

/** Every kustomization.yaml of a repository on disk, by directory, except Components (built as part of those that include them, never alone). */
function readKustomizations(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === '.git' || entry.name === 'node_modules' || entry.isSymbolicLink()) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && KUSTOMIZATION_FILES.includes(entry.name) && !out.has(dir)) {
        const text = readFileSync(path, 'utf8');
        if (!isComponent(text)) out.set(dir, text);
      }
    }
  };
  walk(root);
  return out;
}

export const kustomizationDirs = (root: string): string[] => [...readKustomizations(root).keys()];

/**
 * A build is a short-lived Go process: without garbage collection until it nears 200 MiB it runs about a
 * fifth faster (measured over 40 overlays), and none of ours comes near. A GOGC or GOMEMLIMIT of the user's wins.
 */
const KUBECTL_ENV = { GOGC: process.env.GOGC ?? 'off', GOMEMLIMIT: process.env.GOMEMLIMIT ?? '200MiB' };

export interface BuildResult {
  dir: string;
  output?: string;
  /** Why kubectl was not run on it (it would read outside the repository or from the network). */
  refused?: string;
}

/**
 * The kustomizations no other one takes in (as a resource or component): building those builds every
 * other one inside them, so kustomize sees each base once per overlay instead of once more on its own.
 * `read`: a kustomization.yaml's text by directory (default: from disk).
 */
export function topLevelDirs(dirs: string[], read = (dir: string) => readFileSync(join(dir, KUSTOMIZATION_FILES.find((n) => existsSync(join(dir, n))) ?? 'kustomization.yaml'), 'utf8')): string[] {
  const included = new Set<string>();
  for (const dir of dirs) {
    const [k] = objectsOf(read(dir)) as { resources?: unknown[]; components?: unknown[] }[];
    for (const ref of [...(k?.resources ?? []), ...(k?.components ?? [])]) if (typeof ref === 'string') included.add(resolve(dir, ref));
  }
  return dirs.filter((dir) => !included.has(resolve(dir)));
}

/**
 * A kustomization as kustomize reads it: Go's JSON decoding matches field names without regard to case
 * (api/types/kustomization.go Unmarshal), so keys are lowercased here; merge keys (`<<`) are merged.
 * Undefined where kustomize could read it differently from this reader: not one document, a duplicate key
 * (kustomize takes the last), or keys that differ only in case.
 */
function kustomizationAsKustomizeReads(text: string): Record<string, unknown> | undefined {
  const docs = documentsAsKustomizeReads(text);
  return docs?.length === 1 ? docs[0] : undefined;
}

/** Each document of a file as kustomize reads it (a kustomization, or a plugin's configs), or undefined where kustomize could read one differently. */
function documentsAsKustomizeReads(text: string): Record<string, unknown>[] | undefined {
  // No control character, no line break other than \n and \r\n, no byte-order mark and no directive:
  // `%YAML 1.1` makes this reader take `0x_` for a number where Go reads a path, and Go breaks lines at
  // U+0085, U+2028 and U+2029 where this reader sees one comment. Real kustomizations need neither; other
  // characters (an arrow in a comment, an accent in a value) read the same in both, and keys are ASCII
  // (readAlike).
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff]/.test(text) || /\r(?!\n)/.test(text) || /^%/m.test(text)) return undefined;
  const docs = parseAllDocuments(goAliasKeys(text), { uniqueKeys: false, merge: true, logLevel: 'error' }).filter((d) => d.contents !== null);
  const out: Record<string, unknown>[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0 || duplicateKeys(doc).length > 0 || !readAlike(doc)) return undefined;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 50 });
    } catch {
      return undefined;
    }
    let clash = false;
    const lower = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(lower);
      if (!v || typeof v !== 'object') return v;
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const key = k.toLowerCase();
        if (Object.hasOwn(o, key)) clash = true;
        setOwn(o, key, lower(x));
      }
      return o;
    };
    const k = lower(value);
    if (clash || !k || typeof k !== 'object' || Array.isArray(k)) return undefined;
    out.push(k as Record<string, unknown>);
  }
  return out;
}

/**
 * Whether Go's YAML and JSON decoding reads the document as this reader does: no explicit tag (`!!binary`
 * decodes base64 in Go, and custom tags differ), and only ASCII text keys (Go matches field names with
 * Unicode case folding: `reſourceſ` is `resources` there, not here).
 */
function readAlike(doc: Document): boolean {
  let alike = true;
  visit(doc, {
    Node(key, node) {
      if ((isScalar(node) || isCollection(node)) && node.tag !== undefined) alike = false;
      return alike ? undefined : visit.BREAK;
    },
    Pair(_key, pair) {
      const k = pair.key;
      if (!isScalar(k) || typeof k.value !== 'string' || !/^[\x20-\x7e]*$/.test(k.value)) alike = false;
      return alike ? undefined : visit.BREAK;
    },
  });
  return alike;
}

/**
 * The patch files a kustomization directory has kustomize read (patches, patchesStrategicMerge,
 * patchesJson6902), its bases' and components' too, and the resource files it takes in: what kubectl's build of it
 * read, where kubectl built it. `read(dir)` gives a directory's kustomization text.
 */
export function filesKustomizeReads(dir: string, read: (dir: string) => string | undefined, exists: (path: string) => boolean, seen = new Set<string>()): string[] {
  if (seen.has(dir)) return [];
  seen.add(dir);
  const text = read(dir);
  const k = text === undefined ? undefined : kustomizationAsKustomizeReads(text);
  if (!k) return [];
  // Patch files (their objects are patches, not objects to apply) and the directories it builds; not what
  // generators read (data: a recyclarr.yml with `!env_var` tags is no YAML to check).
  const { dirs, patches: files } = referencedPaths(k);
  const at = (p: unknown) => (typeof p === 'string' && !p.includes('\n') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(p) ? posix.normalize(posix.join(dir, p)) : undefined);
  const out = files.map(at).filter((p): p is string => p !== undefined && !p.startsWith('..') && exists(p));
  for (const d of dirs.map(at)) {
    if (d === undefined || d.startsWith('..')) continue;
    if (exists(d)) out.push(d);
    else for (const f of filesKustomizeReads(d === '.' ? '' : d, read, exists, seen)) out.push(f);
  }
  return out;
}

/** Every path a kustomization makes kustomize read (kustomize v5.5.0 api/types/kustomization.go), as written; keys lowercased. */
function referencedPaths(k: Record<string, unknown>): { dirs: unknown[]; files: unknown[]; patches: unknown[] } {
  // A value that is no string where a path goes is kept (as NaN, say): the caller refuses what it cannot read.
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
  const paths = (v: unknown): unknown[] => (Array.isArray(v) ? v.map((x) => (x && typeof x === 'object' ? (x as { path?: unknown }).path : x)).filter((x) => x !== undefined) : v === undefined || v === null ? [] : [v]);
  const generatorFiles = (v: unknown) =>
    (Array.isArray(v) ? v : []).flatMap((g) => {
      const gen = (g ?? {}) as { files?: unknown; envs?: unknown; env?: unknown };
      return [...list(gen.files).map((f) => (typeof f === 'string' ? f.slice(f.indexOf('=') + 1) : f)), ...list(gen.envs), ...list(gen.env)];
    });
  const dirs = [...list(k.resources), ...list(k.bases), ...list(k.components)];
  // patchesStrategicMerge: kustomize tries each entry as a file first, inline or not (an inline patch that
  // names a path outside is refused with the rest).
  const patches = [...paths(k.patches), ...list(k.patchesstrategicmerge), ...paths(k.patchesjson6902)];
  const files = [
    ...patches, ...generatorFiles(k.configmapgenerator), ...generatorFiles(k.secretgenerator),
    ...list(k.crds), ...list(k.configurations), ...paths(k.replacements), ...list((k.openapi as { path?: unknown } | undefined)?.path),
  ];
  return { dirs, files, patches };
}

/**
 * kustomize's builtin plugins (api/internal/builtins, v5.5.0) by the fields of their configs that name files; a
 * config of another kind needs a plugin kubectl does not run (and the Helm one needs the network).
 */
const BUILTIN_PLUGIN_FILES: Record<string, (config: Record<string, unknown>) => unknown[]> = {
  NamespaceTransformer: () => [],
  LabelTransformer: () => [],
  AnnotationsTransformer: () => [],
  PrefixTransformer: () => [],
  SuffixTransformer: () => [],
  ImageTagTransformer: () => [],
  ReplicaCountTransformer: () => [],
  ValueAddTransformer: (c) => [c.targetfilepath],
  HashTransformer: () => [],
  PatchTransformer: (c) => [c.path],
  PatchJson6902Transformer: (c) => [c.path],
  PatchStrategicMergeTransformer: (c) => (Array.isArray(c.paths) ? c.paths : c.paths === undefined ? [] : [c.paths]),
  ReplacementTransformer: (c) => (Array.isArray(c.replacements) ? c.replacements.map((r) => (r && typeof r === 'object' ? (r as { path?: unknown }).path : r)) : []),
  ConfigMapGenerator: (c) => generatorPaths(c),
  SecretGenerator: (c) => generatorPaths(c),
};
const KIND_OF_BUILTIN = new Map(Object.keys(BUILTIN_PLUGIN_FILES).map((k) => [k.toLowerCase(), k]));
const generatorPaths = (c: Record<string, unknown>) => {
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
  return [...list(c.files).map((f) => (typeof f === 'string' ? f.slice(f.indexOf('=') + 1) : f)), ...list(c.envs), ...list(c.env)];
};

/**
 * Why kubectl may not run a generators, transformers or validators entry of the kustomization in `dir`: an
 * inline config or a file of configs, each of a builtin kind whose files are in the repository (relative to
 * `base`, the kustomization that lists the plugins, as kustomize loads them); or a directory whose
 * kustomization only takes in such files.
 */
function pluginProblem(entry: unknown, dir: string, plain: (p: string) => boolean, rel: (p: string) => string, build: (dir: string) => string | undefined, base = dir): string | undefined {
  if (typeof entry !== 'string') return `${short(entry)} is no path nor config`;
  const configs = (text: string, where: string): string | undefined => {
    const docs = documentsAsKustomizeReads(text);
    if (!docs) return `${where} may read differently in kustomize`;
    for (const c of docs) {
      const kind = typeof c.kind === 'string' ? KIND_OF_BUILTIN.get(c.kind.toLowerCase()) : undefined;
      if (c.apiversion !== 'builtin' || !kind) return `${where} holds ${String(c.kind)}, not one of kustomize's builtin plugins kubectl runs`;
      for (const p of BUILTIN_PLUGIN_FILES[kind](c)) {
        if (p === undefined) continue;
        if (typeof p !== 'string') return `${where}: ${kind} has ${short(p)} where a path goes`;
        if (isRemote(p) || isAbsolute(p) || !plain(resolve(base, p))) return `${where}: ${kind} reads ${p}, which is outside the repository or behind a symbolic link`;
      }
    }
    return undefined;
  };
  // kustomize reads an entry as an inline config first (api/internal/target/kusttarget.go: NewResMapFromBytes,
  // then a path where that fails), on one line too (`{apiVersion: builtin, kind: …}`).
  const inline = documentsAsKustomizeReads(entry);
  if (entry.includes('\n') || (inline !== undefined && inline.length > 0)) return configs(entry, 'an inline config');
  if (isRemote(entry)) return `takes in the remote ${entry}`;
  const target = resolve(dir, entry);
  if (isAbsolute(entry) || !plain(target)) return `reads ${entry}, which is outside the repository or behind a symbolic link`;
  if (!existsSync(target)) return `names ${entry}, which is not there (kustomize could read it otherwise)`;
  if (!statSync(target).isDirectory()) return configs(readFileSync(target, 'utf8'), rel(target));
  // A directory of configs: built as a kustomization (safe as any), taking in files of configs and nothing else.
  const why = build(target);
  if (why) return why;
  const name = KUSTOMIZATION_FILES.find((n) => existsSync(join(target, n)));
  const k = name ? kustomizationAsKustomizeReads(readFileSync(join(target, name), 'utf8')) : undefined;
  if (!k) return `${rel(target)} has no kustomization kustomize reads as this check does`;
  const other = Object.keys(k).find((key) => !['apiversion', 'kind', 'resources', 'namespace'].includes(key));
  if (other) return `${rel(target)} uses ${other} on plugin configs, which this check does not follow`;
  for (const r of Array.isArray(k.resources) ? k.resources : []) {
    const why2 = pluginProblem(r, target, plain, rel, build, base);
    if (why2) return why2;
  }
  return undefined;
}

/**
 * Why kustomize may not build a directory offline and inside the repository, or undefined when it may: a
 * path that leaves the repository (lexically, or through a symbolic link anywhere on its way), a remote
 * resource, plugins (generators, transformers, validators: their configs name files and URLs of their own),
 * Helm chart inflation (helm pulls from the network), or a kustomization kustomize could read differently
 * from this check. Checked over every kustomization it takes in, before kubectl reads a file.
 */
export function unsafeToBuild(root: string, dir: string, seen = new Set<string>()): string | undefined {
  const realRoot = realpathSync(root);
  const rel = (p: string) => relative(root, p).split(sep).join('/') || '.';
  // Inside the repository and no symbolic link on the way: the lexical path is the real one.
  const plain = (p: string) => {
    const lexical = relative(root, p);
    if (lexical.startsWith('..') || isAbsolute(lexical)) return false;
    if (!existsSync(p)) return true; // kustomize says it is missing
    return realpathSync(p) === join(realRoot, lexical);
  };
  if (!plain(dir)) return `${rel(dir)} leaves the repository or passes a symbolic link`;
  const real = realpathSync(dir);
  if (seen.has(real)) return undefined;
  seen.add(real);
  const names = KUSTOMIZATION_FILES.filter((n) => existsSync(join(dir, n)));
  if (names.length > 1) return `${rel(dir)} has ${names.join(' and ')} (kustomize refuses more than one)`;
  const name = names[0];
  if (!name) return undefined;
  if (!lstatSync(join(dir, name)).isFile()) return `${rel(join(dir, name))} is not a regular file`;
  const file = join(dir, name);
  if (!plain(file)) return `${rel(file)} is a symbolic link`;
  const k = kustomizationAsKustomizeReads(readFileSync(file, 'utf8'));
  if (!k) return `${rel(file)} is not one YAML document with unique keys (kustomize could read it differently)`;
  for (const field of ['helmcharts', 'helmglobals']) {
    if (k[field] !== undefined) return `${rel(file)} uses ${field}, which may read files or the network kubectl is not given here`;
  }
  // Plugins: kubectl kustomize runs only kustomize's builtin ones (no --enable-alpha-plugins, no --enable-exec,
  // no --enable-helm); those whose configs name files must name them here.
  for (const field of ['generators', 'transformers', 'validators']) {
    for (const entry of k[field] === undefined || k[field] === null ? [] : Array.isArray(k[field]) ? (k[field] as unknown[]) : [k[field]]) {
      const why = pluginProblem(entry, dir, plain, rel, (target) => unsafeToBuild(root, target, seen));
      if (why) return `${rel(file)} ${field}: ${why}`;
    }
  }
  const refs = referencedPaths(k);
  for (const p of [...refs.dirs, ...refs.files]) {
    if (typeof p !== 'string') return `${rel(file)} has ${short(p)} where a path goes (kustomize could read it as a path)`;
    if (isRemote(p)) return `${rel(file)} takes in the remote ${p}`;
    if (isAbsolute(p) || !plain(resolve(dir, p))) return `${rel(file)} reads ${p}, which is outside the repository or behind a symbolic link`;
  }
  for (const p of refs.dirs as string[]) {
    const target = resolve(dir, p);
    if (existsSync(target) && statSync(target).isDirectory()) {
      const why = unsafeToBuild(root, target, seen);
      if (why) return why;
    }
  }
  return undefined;
}

/**
 * kubectl's environment for a build: no proxy but a dead one and no git transport, so that nothing the
 * static check missed can reach the network (kustomize fetches URLs over HTTP and clones with git).
 */
const OFFLINE_ENV = {
  HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', http_proxy: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9', NO_PROXY: '', no_proxy: '',
  GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'protocol.allow', GIT_CONFIG_VALUE_0: 'never', GIT_ALLOW_PROTOCOL: '', GIT_TERMINAL_PROMPT: '0',
  GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
};

/** A build that takes longer, or prints more, is stopped: a merge request must not hold CI or its memory. */
const KUBECTL_TIMEOUT_MS = 60_000;
const KUBECTL_MAX_OUTPUT = 64 * 2 ** 20;

/**
 * What kubectl is given of this process's environment: where programs and temporary files are, and the
 * locale; never the CI job's tokens and credentials (a build needs none).
 */
function kubectlBaseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'SYSTEMROOT']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/**
 * kubectl's error as a finding says it: without kustomize's deprecation warnings (`# Warning: 'commonLabels'
 * is deprecated…`), klog's timestamp and process id (`E1207 06:59:13.258474 15997 run.go:72] "command failed"
 * err="…"`: the same repository gives the same report), and with the repository's own paths, not this machine's.
 */
export function kubectlError(stderr: string, root: string): string {
  const lines = stderr.split('\n').filter((l) => !/^# Warning: /.test(l));
  const text = lines
    .map((l) => {
      const m = /^[EWIF]\d{4} [\d:.]+\s+\d+ [\w.-]+:\d+\] "command failed" err="(.*)"$/.exec(l);
      return m ? m[1].replace(/\\"/g, '"').replace(/\\\\/g, '\\') : l;
    })
    .join('\n')
    .replaceAll(`${root}/`, '')
    .replaceAll(root, '.');
  return firstLines(text);
}

/** kubectl's own message, not a Go stack dump: its first lines, at most 2 000 characters. */
function firstLines(text: string): string {
  const lines = text.trim().split('\n');
  const head = lines.slice(0, 8).join('\n').slice(0, 2000);
  return lines.length > 8 || head.length < lines.slice(0, 8).join('\n').length ? `${head}\n…` : head;
}

/** Runs the builds with a little parallelism; failures become findings naming the directory. */
export async function buildAll(root: string, only?: string[], concurrency = 4): Promise<{ findings: Finding[]; builds: BuildResult[] }> {
  const dirs = only ? only.map((d) => resolve(root, d)) : (() => {
    const found = readKustomizations(root);
    return topLevelDirs([...found.keys()], (dir) => found.get(dir)!);
  })();
  const findings: Finding[] = [];
  const builds: BuildResult[] = [];
  // execa is loaded when a process is started: a validation that needs none never loads it.
  const { execa } = await import('execa');
  let next = 0;
  const worker = async () => {
    while (next < dirs.length) {
      const dir = dirs[next++];
      const rel = relative(root, dir) || '.';
      const unsafe = unsafeToBuild(root, dir);
      if (unsafe) {
        builds.push({ dir: rel, refused: unsafe });
        continue;
      }
      try {
        const { stdout } = await execa('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', dir], {
          stdin: 'ignore',
          shell: false,
          env: { ...kubectlBaseEnv(), ...KUBECTL_ENV, ...OFFLINE_ENV },
          extendEnv: false,
          timeout: KUBECTL_TIMEOUT_MS,
          maxBuffer: KUBECTL_MAX_OUTPUT,
        });
        builds.push({ dir: rel, output: stdout });
      } catch (err) {
        const e = err as { stderr?: string; shortMessage?: string; timedOut?: boolean; isMaxBuffer?: boolean };
        const why = e.timedOut ? `did not finish in ${KUBECTL_TIMEOUT_MS / 1000} s` : e.isMaxBuffer ? `printed more than ${KUBECTL_MAX_OUTPUT / 2 ** 20} MiB` : kubectlError(e.stderr || e.shortMessage || String(err), resolve(root));
        findings.push(error('kustomize', `${rel}/kustomization.yaml`, `kubectl kustomize failed: ${why}`));
        builds.push({ dir: rel });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, dirs.length) }, worker));
  builds.sort((a, b) => a.dir.localeCompare(b.dir));
  findings.sort((a, b) => a.file.localeCompare(b.file));
  return { findings, builds };
}
