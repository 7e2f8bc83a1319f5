import { describe, expect, it } from 'vitest';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { render } from '../../lib/generate.js';
import type { QuestionContext } from '../../lib/questions.js';
import { formatChange, pinnedVersions, versionChanges } from '../../lib/versions.js';

const ctx: QuestionContext = { catalog: loadCatalog(), directoryName: 'p' };
const REMOTE = 'https://gitlab.example.nl/p.git';

describe('pinned versions read back from a render (what upgrade compares)', () => {
  it.each(['flux', 'argocd'])('%s: Helm charts, OCI charts and upstream manifests, not the platform repository', (engine) => {
    const answers = resolveAnswers(withDefaults({ engine, 'git-remote': REMOTE, components: ['velero', 'gateway', 'keycloak'], gateway: 'istio', 'keycloak-hostname': 'id.example.nl' }, ctx), ctx);
    const pins = pinnedVersions(render(answers, ctx.catalog).files.entries(), REMOTE);
    const catalogVersion = (component: string, release: string) => ctx.catalog.components.get(component)!.controller!.releases.find((r) => r.name === release)!.version;
    expect(pins.get('velero')).toBe(catalogVersion('velero', 'velero'));
    expect(pins.get('istiod')).toBe(catalogVersion('istio', 'istiod'));
    // Upstream manifests at a tag (Keycloak operator, Gateway API CRDs) are pinned by their repository.
    expect(pins.get('keycloak-k8s-resources')).toBe(catalogVersion('keycloak', 'keycloak-operator'));
    expect([...pins.keys()]).not.toContain('p');
  });

  it('lists what moves, appears and goes, by name', () => {
    const changes = versionChanges(new Map([['a', '1.0.0'], ['b', '2.0.0'], ['c', '3.0.0']]), new Map([['a', '1.1.0'], ['c', '3.0.0'], ['d', '0.1.0']]));
    expect(changes.map(formatChange)).toEqual(['a: 1.0.0 → 1.1.0', 'b: 2.0.0, no longer used', 'd: new, 0.1.0']);
  });
});
