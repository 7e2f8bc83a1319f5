/**
 * The NVIDIA GPU Operator: the chart at v26.7.0 with its operator and validator images pinned to the release
 * (the source chart's appVersion is main-latest), its CRD-upgrade hook off (the GitOps engine applies crds/),
 * a privileged namespace the Kyverno exemption knows, never in a preset, refused on OpenShift; what it renders
 * validates for both engines against the pinned chart data.
 */
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { RawAnswers } from '../../lib/questions.js';
import { validateFiles } from '../../lib/validate/repository.js';
import { catalog, plan, problemsOf } from '../answers.js';

const REMOTE = 'https://gitlab.example.nl/gemeente/platform.git';

describe('the NVIDIA GPU Operator', () => {
  it('is offered, pinned to a release with published images, and in no preset', () => {
    const def = catalog.components.get('gpu-operator')!;
    expect(def.selectable).toBe(true);
    expect(def.podSecurity).toBe('privileged');
    const [release] = def.controller!.releases;
    expect({ chart: release.chart, version: release.version, url: release.source.url }).toEqual({ chart: 'gpu-operator', version: 'v26.7.0', url: 'https://helm.ngc.nvidia.com/nvidia' });
    expect(release.values).toMatchObject({ operator: { version: 'v26.7.0', upgradeCRD: false }, validator: { version: 'v26.7.0' } });
    expect(release.images).toContain('nvcr.io/nvidia/gpu-operator:v26.7.0');
    expect(release.images.some((i) => /main-latest|:latest$/.test(i))).toBe(false);
    // The facts read from the chart's templates: the images the chart and the operator run are the ones listed.
    for (const image of release.facts!.images.filter((i) => !/condition.*off/i.test(i.condition ?? ''))) expect(release.images.some((i) => i.startsWith(`${image.repository}:`)), image.repository).toBe(true);
    for (const preset of catalog.presets.values()) expect(preset.components, preset.id).not.toContain('gpu-operator');
  });

  it.each(['flux', 'argocd'])('%s: a privileged namespace exempt from the restricted policies, the pins in the release; validates clean', async (engine) => {
    const { files } = plan({ engine, provider: 'hetzner', clusters: ['gpu'], components: ['kyverno', 'gpu-operator'], 'git-remote': REMOTE });
    const all = [...files.entries()];
    const namespace = all
      .filter(([p]) => p.endsWith('.yaml'))
      .flatMap(([, text]) => parseAllDocuments(text).map((d) => d.toJS() as { kind?: string; metadata?: { name?: string; labels?: Record<string, string> } } | null))
      .find((o) => o?.kind === 'Namespace' && o.metadata?.name === 'gpu-operator');
    // Enforced and warned at privileged (no warning on every apply for what the reason covers), audited at restricted.
    const labels =
      engine === 'flux'
        ? namespace?.metadata?.labels
        : (parse(files.get('clusters/gpu/apps/gpu-operator.yaml')!) as { spec: { syncPolicy: { managedNamespaceMetadata: { labels: Record<string, string> } } } }).spec.syncPolicy.managedNamespaceMetadata.labels;
    expect(labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/warn': 'privileged', 'pod-security.kubernetes.io/audit': 'restricted' });
    const exempt = all.filter(([p]) => p.includes('kyverno') && p.endsWith('.yaml')).map(([, t]) => t).join('\n');
    expect(exempt).toMatch(/- gpu-operator\b/);
    const release = all.filter(([p]) => p.includes('gpu-operator') && p.endsWith('.yaml')).map(([, t]) => t).join('\n');
    expect(release).toMatch(/upgradeCRD: false/);
    expect(release).toMatch(/version: v26\.7\.0/);
    const report = await validateFiles(files);
    expect(report.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`)).toEqual([]);
    // The chart's values were checked against its pinned data (a misspelt key would be an error).
    expect(report.stats.chartValues).toBeGreaterThan(0);
    const readme = files.get('README.md')!;
    expect(readme).toContain('nvcr.io/nvidia/gpu-operator:v26.7.0');
    expect(readme).toMatch(/GPU nodes the operator can serve/);
  });

  it('is refused on OpenShift, naming the cluster and the route NVIDIA documents there', () => {
    expect(problemsOf({ provider: 'odc-noord', clusters: ['gpu'], components: ['gpu-operator'], 'git-remote': REMOTE })).toEqual([
      expect.stringMatching(/^components: cluster gpu on odc-noord would run the NVIDIA GPU Operator from its Helm chart, but .* is OpenShift, where NVIDIA documents it as the certified operator from OperatorHub/),
    ]);
    // On one cluster of a fleet that also has an OpenShift cluster: only where it runs counts.
    expect(problemsOf({ provider: 'hetzner', clusters: ['gpu', 'ocp:odc-noord'], components: ['kyverno'], 'cluster-components': ['gpu=gpu-operator'], 'git-remote': REMOTE })).toEqual([]);
    expect(problemsOf({ provider: 'hetzner', clusters: ['gpu', 'ocp:odc-noord'], components: ['kyverno'], 'cluster-components': ['ocp=gpu-operator'], 'git-remote': REMOTE })).toHaveLength(1);
  });

  it('a misspelt value in the release is caught against the chart data', async () => {
    const { files } = plan({ engine: 'flux', provider: 'hetzner', clusters: ['gpu'], components: ['gpu-operator'], 'git-remote': REMOTE });
    const path = files.paths().find((p) => p.startsWith('infrastructure/gpu-operator/') && p.endsWith('releases.yaml'))!;
    files.replace(path, files.get(path)!.replace('upgradeCRD: false', 'upgradeCRDs: false'));
    const report = await validateFiles(files);
    expect(report.findings.filter((f) => f.severity === 'error').map((f) => f.message).join('\n')).toMatch(/values \/operator\/upgradeCRDs: gpu-operator v26\.7\.0 has no such value/);
  });
});
