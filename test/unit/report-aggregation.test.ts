/** What a report says once rather than per object: a kind without a schema. */
import { describe, expect, it } from 'vitest';
import { FileSet } from '../../lib/fileset.js';
import { validateFiles } from '../../lib/validate/repository.js';
import { BUNDLED_SCHEMAS } from '../../lib/validate/schemas.js';

describe('a kind without a schema', () => {
  it('is said once, at its first object, with how many objects it leaves unchecked', async () => {
    const files = new FileSet();
    files.add('clusters/prod/apps.yaml', 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n');
    for (const n of [1, 2, 3]) files.add(`apps/w${n}.yaml`, `apiVersion: widgets.example.com/v1\nkind: Widget\nmetadata:\n  name: w${n}\n  namespace: default\n`);
    const report = await validateFiles(files, { schemaLocations: [BUNDLED_SCHEMAS] });
    const missing = report.findings.filter((f) => f.message.startsWith('no schema found for widgets.example.com/v1 Widget'));
    expect(missing.map((f) => `${f.file}: ${f.message.replace(/ in .*?: /, ': ')}`)).toEqual(['apps/w1.yaml: no schema found for widgets.example.com/v1 Widget: 3 objects not validated (this one and 2 more)']);
  });
});

describe('a namespace nothing built offline creates', () => {
  const flux = 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n';
  const check = async (kustomization: string) => {
    const files = new FileSet();
    files.add('clusters/prod/apps.yaml', flux);
    files.add('apps/kustomization.yaml', kustomization);
    files.add('apps/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: from-chart\n');
    const report = await validateFiles(files, { schemaLocations: [BUNDLED_SCHEMAS] });
    return report.findings.filter((f) => f.message.includes('from-chart')).map((f) => `${f.severity}: ${f.message}`);
  };

  it('is an error where the cluster was built whole', async () => {
    expect(await check('resources:\n  - cm.yaml\n')).toEqual(['error: namespace from-chart is never created on cluster prod']);
  });

  it('is a warning where part of it (helmCharts) was not built offline and may create it', async () => {
    expect(await check('resources:\n  - cm.yaml\nhelmCharts:\n  - name: thing\n    repo: https://charts.example.org\n    version: 1.0.0\n    namespace: from-chart\n')).toEqual([
      'warning: namespace from-chart is not created by what cluster prod applies as built offline; a part not built offline (helmCharts, generators: see the notes) may create it',
    ]);
  });
});
