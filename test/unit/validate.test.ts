import { describe, expect, it } from 'vitest';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { FileSet } from '../../lib/fileset.js';
import { render } from '../../lib/generate.js';
import { validateFiles } from '../../lib/validate/repository.js';
import { validateStructure } from '../../lib/validate/structure.js';

const catalog = loadCatalog();
const ctx = { catalog, directoryName: 'platform' };

function generated(raw: Record<string, unknown> = {}): FileSet {
  return render(resolveAnswers(withDefaults(raw, ctx), ctx)).files;
}

/** A copy of a FileSet with one file changed (undefined: removed). */
function mutate(files: FileSet, path: string, change: (text: string) => string | undefined): FileSet {
  const out = new FileSet();
  for (const [p, t] of files.entries()) {
    const next = p === path ? change(t) : t;
    if (next !== undefined) out.add(p, next);
  }
  return out;
}

describe('structure and build checks catch broken repositories', () => {
  const files = generated();

  it('accepts the generated repository', () => {
    expect(validateStructure(files, files.paths())).toEqual([]);
  });

  it.each([
    ['a missing kustomization resource', 'infrastructure/postgres/config/base/databases.yaml', () => undefined, 'resources: databases.yaml does not exist'],
    ['a duplicate key', 'infrastructure/garage/controller/base/sources.yaml', (t: string) => t.replace('  interval: 12h', '  interval: 12h\n  interval: 1h'), 'Map keys must be unique'],
    ['an unknown dependsOn target', 'clusters/local/infrastructure/postgres.yaml', (t: string) => t.replace('name: garage-controller', 'name: minio-controller'), 'dependsOn minio-controller is not a Kustomization of cluster local'],
    ['a path without kustomization', 'clusters/local/infrastructure/garage.yaml', (t: string) => t.replace('overlays/local', 'overlays/elsewhere'), 'does not exist'],
    ['a missing patch', 'infrastructure/postgres/config/overlays/local/patch-cluster-app.yaml', () => undefined, 'patches: patch-cluster-app.yaml does not exist'],
    ['a duplicate object', 'infrastructure/postgres/config/base/kustomization.yaml', (t: string) => t.replace('  - databases.yaml', '  - databases.yaml\n  - namespace.yaml'), 'duplicate object'],
  ])('finds %s', async (_name, path, change, message) => {
    const { findings } = await validateFiles(mutate(files, path, change));
    expect(findings.map((f) => `${f.file}: ${f.message}`).join('\n')).toContain(message);
  });

  it('says a missing final newline or CRLF line ends, as warnings: a cluster gets the same objects', async () => {
    const path = 'infrastructure/postgres/config/base/databases.yaml';
    const { findings } = await validateFiles(mutate(mutate(files, path, (t) => t.trimEnd()), 'infrastructure/postgres/config/base/namespace.yaml', (t) => t.replaceAll('\n', '\r\n')));
    const style = findings.filter((f) => /newline|CR characters/.test(f.message)).map((f) => `${f.severity} ${f.file}: ${f.message}`);
    expect(style).toEqual([
      `warning ${path}: does not end with a newline`,
      'warning infrastructure/postgres/config/base/namespace.yaml: contains CR characters (expected LF line endings)',
    ]);
  });

  it('finds a missing Argo CD value file', async () => {
    const argo = generated({ engine: 'argocd', 'git-remote': 'https://git.example.nl/p.git' });
    const broken = mutate(argo, 'infrastructure/garage/controller/overlays/local/garage.values.yaml', () => undefined);
    const { findings } = await validateFiles(broken);
    expect(findings.filter((f) => f.severity === 'error').map((f) => f.message).join('\n')).toContain('value file $values/infrastructure/garage/controller/overlays/local/garage.values.yaml does not exist');
  });
});
