/**
 * kustomize is the authority: every kustomization the offline builder builds on its own (the rest go to
 * kubectl) must give exactly what `kubectl kustomize` gives, object for object. Checked over every
 * kustomization of the test corpora: our own (test/fixtures/corpora), a generated repository of each
 * engine, and the public repositories of ../shared/realrepos where they are there.
 */
import { execa } from 'execa';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { render } from '../../lib/generate.js';
import { buildKustomization, isComponent, isKustomizationFile } from '../../lib/validate/build.js';
import { readRepository } from '../../lib/validate/directory.js';
import { kubectlAvailable } from '../../lib/validate/kustomize.js';
import { HAS_SHARED, SHARED_DIR } from '../shared.js';
import { ROOT } from '../helpers.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FileSet } from '../../lib/fileset.js';

function writeFileSet(dir: string, files: FileSet): void {
  for (const [p, text] of files.entries()) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
}

const catalog = loadCatalog();
const scratch = mkdtempSync(join(tmpdir(), 'hp-exact-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function corpora(): [string, string][] {
  const own = join(ROOT, 'test', 'fixtures', 'corpora');
  const list: [string, string][] = readdirSync(own).map((name) => [`corpus ${name}`, join(own, name)]);
  for (const engine of ['flux', 'argocd'] as const) {
    const ctx = { catalog, directoryName: 'platform' };
    const raw = { engine, provider: 'local', preset: 'haven-plus', 'git-remote': 'https://git.example.nl/p.git', 'acme-email': 'a@example.nl', 'keycloak-hostname': 'sso.example.nl' };
    const dir = join(scratch, engine);
    writeFileSet(dir, render(resolveAnswers(withDefaults(raw, ctx), ctx), catalog).files);
    list.push([`generated ${engine}`, dir]);
  }
  // Patch selection as kustomize does it: a target selects (every match, none being fine), its patch's own name is ignored.
  const edge = join(scratch, 'edge');
  const deployment = (name: string, replicas = 1) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  replicas: ${replicas}\n  selector:\n    matchLabels:\n      app: ${name}\n  template:\n    metadata:\n      labels:\n        app: ${name}\n    spec:\n      containers:\n        - name: main\n          image: nginx\n`;
  const edgeFiles: Record<string, string> = {
    'apps/web.yaml': deployment('web'),
    'apps/api.yaml': deployment('api'),
    'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "1"\n',
    'apps/replicas.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: any\nspec:\n  replicas: 3\n',
    'apps/label.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: whatever\n  labels:\n    patched: "yes"\n',
    'apps/kustomization.yaml': 'resources:\n  - web.yaml\n  - api.yaml\n  - cm.yaml\npatches:\n  - path: replicas.yaml\n    target:\n      kind: Deployment\n  - path: label.yaml\n    target:\n      kind: ConfigMap\n      name: settings\n  - path: label.yaml\n    target:\n      kind: Secret\n  - path: replicas.yaml\n    target:\n      group: apps\n      version: v1\n      kind: Deployment\n      name: web\n',
    'regex/kustomization.yaml': 'resources:\n  - ../apps/web.yaml\npatches:\n  - path: ../apps/replicas.yaml\n    target:\n      name: w.*\n',
    'json6902/ops.yaml': '- op: replace\n  path: /spec/replicas\n  value: 5\n',
    'json6902/kustomization.yaml': 'resources:\n  - ../apps/web.yaml\npatches:\n  - path: ops.yaml\n    target:\n      kind: Deployment\n      name: web\n',
    // Identity as kustomize matches it: an object keeps the namespace it had before a base's namespace
    // transformer (HMCTS's sds-flux-config patches ServiceAccount ${NAMESPACE}/${NAMESPACE} after its base moved it).
    'ids/base/sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: ${NAMESPACE}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n',
    'ids/base/kustomization.yaml': 'resources:\n  - sa.yaml\nnamespace: team\n',
    'ids/by-earlier-namespace/sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: ${NAMESPACE}\n  annotations:\n    azure.workload.identity/client-id: x\n',
    'ids/by-earlier-namespace/kustomization.yaml': 'resources:\n  - ../base\nnamespace: team\npatches:\n  - path: sa.yaml\n',
    'ids/by-current-namespace/sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: team\n  labels:\n    a: b\n',
    'ids/by-current-namespace/kustomization.yaml': 'resources:\n  - ../base\npatches:\n  - path: sa.yaml\n',
    // No namespace in the patch: only an object in the default namespace (kustomize: no target, an error).
    'ids/no-namespace/sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  labels:\n    a: b\n',
    'ids/no-namespace/kustomization.yaml': 'resources:\n  - ../base\npatches:\n  - path: sa.yaml\n',
    // The kustomization's own namespace is set after its patches: a patch naming it finds nothing.
    'ids/own-namespace/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: mine\ndata:\n  b: "2"\n',
    'ids/own-namespace/kustomization.yaml': 'resources:\n  - ../base/sa.yaml\nnamespace: mine\npatches:\n  - path: cm.yaml\n',
    // Another apiVersion is another object.
    'ids/other-version/sa.yaml': 'apiVersion: v2\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: team\n',
    'ids/other-version/kustomization.yaml': 'resources:\n  - ../base\npatches:\n  - path: sa.yaml\n',
    // `$patch: delete` removes what it selects, with and without a target.
    'delete/gone.yaml': '$patch: delete\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n',
    'delete/kustomization.yaml': 'resources:\n  - ../apps/web.yaml\n  - ../apps/cm.yaml\npatches:\n  - path: gone.yaml\n',
    'delete-target/gone.yaml': '$patch: delete\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: any\n',
    'delete-target/kustomization.yaml': 'resources:\n  - ../apps/web.yaml\n  - ../apps/api.yaml\n  - ../apps/cm.yaml\npatches:\n  - path: gone.yaml\n    target:\n      kind: Deployment\n',
  };
  for (const [path, text] of Object.entries(edgeFiles)) {
    mkdirSync(dirname(join(edge, path)), { recursive: true });
    writeFileSync(join(edge, path), text);
  }
  list.push(['patch selection edge cases', edge]);
  if (HAS_SHARED) for (const name of readdirSync(join(SHARED_DIR, 'realrepos'))) if (!name.includes('.')) list.push([`realrepos ${name}`, join(SHARED_DIR, 'realrepos', name)]);
  return list;
}

/** Objects as a sorted list of canonical JSON texts (key order and document order do not matter). */
const canonical = (objects: unknown[]) => objects.map((o) => JSON.stringify(o, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v))).sort();

describe('the offline kustomize build equals kubectl kustomize', async () => {
  const kubectl = await kubectlAvailable();
  let total = 0;
  it.skipIf(!kubectl).each(corpora())('%s: every kustomization it builds on its own', async (_name, root) => {
    const files = readRepository(root);
    const dirs = files.paths().filter((p) => isKustomizationFile(p) && !isComponent(files.get(p))).map((p) => (posix.dirname(p) === '.' ? '' : posix.dirname(p)));
    let compared = 0;
    let byKubectl = 0;
    for (const dir of dirs) {
      const build = buildKustomization(files, dir);
      const { stdout, exitCode } = await execa('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', join(root, dir)], { reject: false });
      // The offline builder fails exactly where kustomize fails (a missing file, say)...
      expect(build.errors.length > 0 && build.unsupported.length === 0, `${root}/${dir}: offline errors ${JSON.stringify(build.errors)}, kubectl exit ${exitCode}`).toBe(exitCode !== 0 && build.unsupported.length === 0);
      // ...and what it does not implement is kubectl's to build.
      if (build.unsupported.length > 0 || exitCode !== 0) {
        byKubectl++;
        continue;
      }
      const { parseAllDocuments } = await import('yaml');
      const theirs = parseAllDocuments(stdout).map((d) => d.toJS()).filter((o) => o);
      expect(canonical(build.objects.map((b) => b.object)), `${root}/${dir}`).toEqual(canonical(theirs));
      compared++;
    }
    expect(compared + byKubectl).toBe(dirs.length);
    total += compared;
  });

  it.skipIf(!kubectl)('compared a good number of kustomizations in all', () => {
    expect(total).toBeGreaterThan(30);
  });
});
