/**
 * The Haven compliance map: every check of the Compliancy Checker, per cluster, covered by the
 * repository, the provider or the operator, and the open ones named, in the file and the summary.
 */
import { describe, expect, it } from 'vitest';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { render } from '../../lib/generate.js';
import { clusterCompliance, complianceSummary, loadHavenChecks } from '../../lib/render/compliance.js';
import type { RawAnswers } from '../../lib/questions.js';

const catalog = loadCatalog();
const ctx = { catalog, directoryName: 'platform' };
const run = (raw: RawAnswers) => render(resolveAnswers(withDefaults(raw, ctx), ctx), catalog);

describe('Haven compliance map', () => {
  it('lists all 16 checks of the checker, each with what to do or how it is covered', () => {
    const checks = loadHavenChecks();
    expect(checks.map((c) => c.id)).toHaveLength(16);
    expect(checks.filter((c) => c.platform).map((c) => c.id)).toEqual(['rwx-volumes', 'automated-https-certificates', 'log-aggregation', 'metrics-server']);
    for (const c of checks) expect(c.platform ? c.hint : c.operator, c.id).toBeTruthy();
    // Every havenChecks id a component claims exists.
    for (const def of catalog.components.values()) for (const id of def.havenChecks) expect(checks.map((c) => c.id), def.id).toContain(id);
  });

  it('per cluster: components, the provider RWX class, the operator (managed or not), and what is open', () => {
    const { plan, files } = run({ provider: 'azure', clusters: ['prod', 'lab:local'], components: ['object-storage', 'postgres', 'metrics-server', 'rwx'] });
    const coverage = (cluster: number) => Object.fromEntries(clusterCompliance(plan, plan.clusters[cluster]).map((s) => [s.check.id, `${s.coverage}: ${s.detail}`]));
    const prod = coverage(0);
    const lab = coverage(1);
    expect(prod['metrics-server']).toBe('repository: metrics-server');
    // rwx deploys nothing where the provider has a ReadWriteMany class: the provider covers it.
    expect(prod['rwx-volumes']).toBe('provider: StorageClass `azurefile-premium-zrs-nfs` of Microsoft Azure Kubernetes Service');
    expect(lab['rwx-volumes']).toBe('repository: NFS server provisioner, ReadWriteMany storage');
    // A managed service: the provider runs the control plane, so what the API server and the distribution decide is the provider's.
    expect(prod['control-plane-nodes']).toMatch(/^provider: The provider runs the control plane/);
    expect(prod.rbac).toBe('provider: The provider configures the API server with RBAC authorization.');
    expect(Object.entries(prod).filter(([, v]) => v.startsWith('provider:')).map(([k]) => k).sort()).toEqual(['basic-auth-disabled', 'cncf-conformance', 'control-plane-nodes', 'rbac', 'rwx-volumes']);
    expect(lab['control-plane-nodes']).toBe('operator: Run at least three control-plane nodes.');
    expect(lab.rbac).toBe('operator: Keep RBAC authorization enabled (the default of every current distribution).');
    // cert-manager (pulled in by postgres) with its ClusterIssuers.
    expect(prod['automated-https-certificates']).toBe('repository: cert-manager');

    const doc = files.get('docs/haven-compliance.md')!;
    expect(doc).toContain('## Cluster prod (Microsoft Azure Kubernetes Service, managed)');
    expect(doc).toContain('| Deployment | metrics-server running | this repository | metrics-server |');
    expect(doc).toContain('| Deployment | Log aggregation running | **not covered yet** |');
    expect(files.get('README.md')).toContain('[docs/haven-compliance.md](docs/haven-compliance.md)');
    expect(complianceSummary(plan)).toEqual([
      'Haven checks (docs/haven-compliance.md):',
      "  prod: 2 by this repository, 5 by the provider, 8 the cluster operator's job, 1 not covered yet",
      expect.stringMatching(/^ {4}- Log aggregation running: /),
      "  lab: 3 by this repository, 0 by the provider, 12 the cluster operator's job, 1 not covered yet",
      expect.stringMatching(/^ {4}- Log aggregation running: /),
    ]);
    // A fleet: clusters with the same outcome share one entry.
    const fleet = run({ provider: 'scaleway', clusters: Array.from({ length: 8 }, (_, i) => `c${i}`), components: ['postgres'] }).plan;
    const summary = complianceSummary(fleet);
    expect(summary[1]).toMatch(/^ {2}c0, c1, c2 and 5 more clusters: \d+ by this repository/);
    expect(summary.filter((l) => /^ {2}\S/.test(l))).toHaveLength(1);
    const open = run({ provider: 'local', components: ['object-storage'] }).plan;
    expect(clusterCompliance(open, open.clusters[0]).filter((s) => s.coverage === 'open').map((s) => s.check.id)).toEqual(['rwx-volumes', 'automated-https-certificates', 'log-aggregation', 'metrics-server']);
  });
});
