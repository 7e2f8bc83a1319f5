/**
 * A Docker Hub mirror (--registry-mirror): every image and OCI chart the platform would pull from
 * docker.io comes through it, set through the values each chart's facts name; the result validates
 * (so every key exists in the pinned chart), and the validator catches what would still bypass it.
 */
import { describe, expect, it } from 'vitest';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { FileSet } from '../../lib/fileset.js';
import { render } from '../../lib/generate.js';
import { dockerHubPath, mirrorChartUrl, mirrorImage } from '../../lib/mirror.js';
import { checkRegistryMirror } from '../../lib/names.js';
import type { RawAnswers } from '../../lib/questions.js';
import type { Finding } from '../../lib/validate/findings.js';
import { validateFiles } from '../../lib/validate/repository.js';
import { resolveLocations, SchemaRegistry } from '../../lib/validate/schemas.js';
import { ChartLibrary, resolveChartDirs } from '../../lib/validate/values.js';

const catalog = loadCatalog();
const ctx = { catalog, directoryName: 'platform' };
const registry = new SchemaRegistry(resolveLocations(undefined));
const charts = new ChartLibrary(resolveChartDirs(undefined));
const validate = (files: FileSet, registryMirror?: string) => validateFiles(files, { registry, charts, catalog, registryMirror });
const MIRROR = 'harbor.gemeente.example.nl/dockerhub';
const PRESET = { preset: 'haven-plus', clusters: ['prod'], 'acme-email': 'platform@gemeente.example.nl', 'keycloak-hostname': 'sso.{cluster}.gemeente.example.nl', 'registry-mirror': MIRROR };
const generated = (raw: RawAnswers) => render(resolveAnswers(withDefaults(raw, ctx), ctx), catalog).files;
const errors = (findings: Finding[]) => findings.filter((f) => f.severity === 'error');
const show = (findings: Finding[]) => findings.map((f) => `${f.file} ${f.object ?? ''} ${f.path ?? ''} ${f.message}`).join('\n');

function mutate(files: FileSet, path: string, change: (text: string) => string): FileSet {
  const out = new FileSet();
  for (const [p, t] of files.entries()) {
    const next = p === path ? change(t) : t;
    if (p === path && next === t) throw new Error(`test setup: the change to ${path} changed nothing`);
    out.add(p, next);
  }
  return out;
}

describe('registry mirror', () => {
  it('reads Docker Hub references as Docker Hub does', () => {
    expect(dockerHubPath('docker.io/grafana/loki:3.7.6')).toBe('grafana/loki:3.7.6');
    expect(dockerHubPath('traefik:v3.7.11')).toBe('library/traefik:v3.7.11');
    expect(dockerHubPath('docker.io/library/memcached')).toBe('library/memcached');
    expect(dockerHubPath('grafana/grafana')).toBe('grafana/grafana');
    expect(dockerHubPath('quay.io/jetstack/cert-manager-controller')).toBeUndefined();
    expect(dockerHubPath('localhost:5000/x')).toBeUndefined();
    expect(mirrorImage('docker.io/velero/velero:v1.18.1', MIRROR)).toBe(`${MIRROR}/velero/velero:v1.18.1`);
    expect(mirrorImage('ghcr.io/x/y:1', MIRROR)).toBe('ghcr.io/x/y:1');
    expect(mirrorChartUrl('oci://registry-1.docker.io/envoyproxy/gateway-helm', MIRROR)).toBe(`oci://${MIRROR}/envoyproxy/gateway-helm`);
    expect(mirrorChartUrl('oci://ghcr.io/grafana/helm-charts/grafana-operator', MIRROR)).toBe('oci://ghcr.io/grafana/helm-charts/grafana-operator');
  });

  it.each([
    ['https://harbor.example.nl', 'has a scheme'],
    ['Harbor.example.nl', 'is not a registry'],
    ['harbor', 'no dot in its host'],
    ['harbor.example.nl/a b', 'is not a registry'],
  ])('refuses the mirror %j', (value, message) => {
    expect(checkRegistryMirror(value)).toContain(message);
  });

  it.each([
    ['flux', 'envoy', 'ovhcloud'],
    ['flux', 'traefik', 'hetzner'],
    ['flux', 'istio', 'scaleway'],
    ['argocd', 'envoy', 'scaleway'],
    ['argocd', 'traefik', 'ovhcloud'],
  ])('%s with %s on %s: nothing names Docker Hub, and it validates clean', async (engine, gateway, provider) => {
    const files = generated({ ...PRESET, engine, gateway, provider, ...(engine === 'argocd' ? { 'git-remote': 'https://gitlab.example.nl/p/g.git' } : {}) } as RawAnswers);
    const left = files.entries().filter(([, t]) => /(^|[\s"'/])(docker\.io|registry-1\.docker\.io)\//m.test(t)).map(([p]) => p);
    expect(left).toEqual([]);
    const report = await validate(files, MIRROR);
    expect(show(errors(report.findings))).toBe('');
    // The chart through the mirror is still the chart that brings the CRDs: no "install them yourself" warning.
    expect(report.findings.filter((f) => f.message.includes('no release in this repository installs the CRDs')).map((f) => f.message)).toEqual([]);
    // The proxies of the Gateway: the EnvoyProxy of its class names the mirrored image (the chart's values cannot).
    const envoyProxy = files.get(`infrastructure/envoy-gateway/config/overlays/prod/envoyproxy.yaml`);
    if (gateway === 'envoy') expect(envoyProxy).toContain(`image: ${MIRROR}/envoyproxy/envoy:distroless-v1.39.0`);
  });

  it('without a mirror, Docker Hub is allowed and nothing is rewritten', async () => {
    const { 'registry-mirror': _, ...plain } = PRESET;
    const files = generated({ ...plain, engine: 'flux', provider: 'ovhcloud' } as RawAnswers);
    expect(files.get('infrastructure/grafana/config/overlays/prod/grafana.yaml')).toContain('version: docker.io/grafana/grafana:13.0.1');
    expect(errors((await validate(files)).findings).filter((f) => f.check === 'facts')).toEqual([]);
  });

  const flux = generated({ ...PRESET, engine: 'flux', provider: 'ovhcloud' } as RawAnswers);
  const argo = generated({ ...PRESET, engine: 'argocd', provider: 'scaleway', 'git-remote': 'https://gitlab.example.nl/p/g.git' } as RawAnswers);
  it.each([
    ['a chart image whose registry value was dropped', flux, 'infrastructure/velero/controller/base/releases.yaml', (t: string) => t.replace(`repository: ${MIRROR}/velero/velero`, 'repository: velero/velero'), /velero 12.1.0 pulls docker.io\/velero\/velero anonymously from Docker Hub/],
    ['a chart whose global registry was dropped', argo, 'infrastructure/envoy-gateway/controller/base/envoy-gateway.values.yaml', (t: string) => t.replace(`  imageRegistry: ${MIRROR}\n`, '  imageRegistry: ""\n'), /gateway-helm v1.9.0 pulls docker.io\/envoyproxy\/gateway anonymously/],
    ['an OCI chart on Docker Hub', argo, 'clusters/prod/apps/envoy-gateway.yaml', (t: string) => t.replace(`oci://${MIRROR}/envoyproxy/gateway-helm`, 'oci://registry-1.docker.io/envoyproxy/gateway-helm'), /chart oci:\/\/registry-1.docker.io\/envoyproxy\/gateway-helm is pulled anonymously from Docker Hub/],
    ['an EnvoyProxy that leaves the proxy image to Envoy Gateway', flux, 'infrastructure/envoy-gateway/config/overlays/prod/envoyproxy.yaml', (t: string) => t.replace(/ +container:\n +image: .*\n/, ''), /leaves the proxy image to Envoy Gateway's default \(docker.io\/envoyproxy\/envoy\)/],
    ['a manifest image on Docker Hub', flux, 'infrastructure/grafana/config/overlays/prod/grafana.yaml', (t: string) => t.replace(`${MIRROR}/grafana/grafana:13.0.1`, 'docker.io/grafana/grafana:13.0.1'), /image docker.io\/grafana\/grafana:13.0.1 is pulled anonymously from Docker Hub/],
  ])('catches %s', async (_name, files, path, change, message) => {
    // The mirror as the repository's answers (.yo-rc.json) name it.
    const repository = mutate(files, path, change);
    expect(JSON.parse(repository.get('.yo-rc.json')!)['generator-haven-plus'].answers['registry-mirror']).toBe(MIRROR);
    const report = await validate(repository);
    expect(errors(report.findings).filter((f) => f.check === 'facts' && message.test(f.message)), show(errors(report.findings))).not.toEqual([]);
    // The same repository passes this check once its answers name no mirror.
    const unmirrored = mutate(repository, '.yo-rc.json', (t) => t.replace(/\n\s*"registry-mirror": "[^"]*",?/, ''));
    expect(errors((await validate(unmirrored)).findings).filter((f) => f.check === 'facts').map((f) => f.message)).toEqual([]);
  });
});
