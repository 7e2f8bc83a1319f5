/**
 * MetalLB: LoadBalancer Services where the provider has no cloud load balancer. Its address range is an
 * answer per cluster (refused when missing, with what to ask for), it is on by default on Previder, and what
 * it renders validates for both engines against the metallb.io schemas of v0.16.1.
 */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { readClustersFile, toStored } from '../../lib/answers.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileSet } from '../../lib/fileset.js';
import { checkAddressRange, type RawAnswers } from '../../lib/questions.js';
import { validateFiles } from '../../lib/validate/repository.js';
import { plan, problemsOf } from '../answers.js';
import { tempDir } from '../helpers.js';

const REMOTE = 'https://gitlab.example.nl/gemeente/platform.git';
const objects = (files: FileSet, path: string) => parseAllDocuments(files.get(path)!).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace: string }; spec: Record<string, unknown> });

describe('the address range', () => {
  it.each([
    ['192.0.2.240-192.0.2.250', undefined],
    ['192.0.2.240/28', undefined],
    ['2001:db8::10-2001:db8::ff', undefined],
    ['2001:db8:1::/64', undefined],
    ['10.0.0.5-10.0.0.5', undefined],
    ['192.0.2.250-192.0.2.240', '"192.0.2.250-192.0.2.240": 192.0.2.250 comes after 192.0.2.240'],
    ['2001:db8::ff-2001:db8::10', '"2001:db8::ff-2001:db8::10": 2001:db8::ff comes after 2001:db8::10'],
    ['192.0.2.240-2001:db8::1', '"192.0.2.240-2001:db8::1" is not an address range'],
    ['192.0.2.0/33', '"192.0.2.0/33" is not an address range'],
    ['192.0.2.300-192.0.2.310', '"192.0.2.300-192.0.2.310" is not an address range'],
    ['10.0.0.1, 10.0.0.2', '"10.0.0.1, 10.0.0.2" is not an address range'],
    ['$(reboot)', '"$(reboot)" is not an address range'],
  ])('%s', (value, problem) => {
    expect(checkAddressRange(value)).toBe(problem);
  });
});

describe('MetalLB as an answer', () => {
  it('is on by default on Previder, and refused there without a range, naming whom to ask and both ways to give it', () => {
    expect(problemsOf({ provider: 'previder' })).toEqual([
      "load-balancer-addresses: cluster prod runs MetalLB, which needs a range of free addresses on the nodes' network to hand out to LoadBalancer Services (ask Previder Haven-compliant Kubernetes or your network team for one that no DHCP server or node uses) (allowed: --load-balancer-addresses <first-last|cidr> (clusters on the default provider) or --cluster-settings prod.load-balancer-addresses=<first-last|cidr>)",
    ]);
    const { plan: p, answers } = plan({ provider: 'previder', 'load-balancer-addresses': '10.20.0.240/28' });
    expect(p.components.map((c) => c.def.id)).toContain('metallb');
    // Stored, so a day-2 run has it (the provider adds MetalLB, not --components).
    expect(toStored(answers)['load-balancer-addresses']).toBe('10.20.0.240/28');
    expect(p.clusters[0].loadBalancerAddresses).toBe('10.20.0.240/28');
    // Other providers have a cloud load balancer: not by default, offered everywhere.
    expect(plan({ provider: 'exoscale' }).plan.components.map((c) => c.def.id)).not.toContain('metallb');
    // --components given: exactly those (a Previder user with a load balancer of their own leaves it out).
    expect(plan({ provider: 'previder', components: ['postgres'] }).plan.components.map((c) => c.def.id)).not.toContain('metallb');
  });

  it('takes a range per cluster (--cluster-settings), the platform-wide one for clusters on the default provider', () => {
    const { plan: p } = plan({ provider: 'local', clusters: ['a', 'b', 'c:generic'], components: ['metallb'], 'load-balancer-addresses': '172.18.255.200-172.18.255.250', 'cluster-settings': ['b.load-balancer-addresses=172.19.255.200/29', 'c.load-balancer-addresses=10.0.0.0/28'] });
    expect(p.clusters.map((c) => `${c.name} ${c.loadBalancerAddresses}`)).toEqual(['a 172.18.255.200-172.18.255.250', 'b 172.19.255.200/29', 'c 10.0.0.0/28']);
    // A cluster on another provider does not take the default provider's range.
    expect(problemsOf({ provider: 'local', clusters: ['a', 'c:generic'], components: ['metallb'], 'load-balancer-addresses': '172.18.255.200/29' })).toEqual([expect.stringMatching(/^load-balancer-addresses: cluster c runs MetalLB/)]);
    // From a clusters file, as the other settings.
    const file = join(tempDir('hp-metallb-'), 'clusters.yaml');
    writeFileSync(file, '- name: a\n  load-balancer-addresses: 172.18.255.200/29\n- name: b\n  load-balancer-addresses: 172.19.255.200-172.19.255.210\n');
    const fromFile = readClustersFile(file);
    expect(fromFile.problems).toEqual([]);
    expect(plan({ provider: 'local', components: ['metallb'], ...fromFile.answers }).plan.clusters.map((c) => c.loadBalancerAddresses)).toEqual(['172.18.255.200/29', '172.19.255.200-172.19.255.210']);
    // A bad range in a cluster setting names the cluster.
    expect(problemsOf({ provider: 'local', clusters: ['a'], components: ['metallb'], 'cluster-settings': ['a.load-balancer-addresses=10.0.0.9-10.0.0.1'] }).join('\n')).toContain('cluster a: load-balancer-addresses "10.0.0.9-10.0.0.1": 10.0.0.9 comes after 10.0.0.1');
  });
});

describe('where MetalLB runs', () => {
  it('on each cluster whose provider adds it (a Previder cluster in a fleet of another default provider), never on a managed service or OpenShift', () => {
    const { plan: p } = plan({ provider: 'exoscale', clusters: ['prod', 'dc:previder'], 'cluster-settings': ['dc.load-balancer-addresses=10.20.0.240/28'] });
    expect(p.clusters.map((c) => `${c.name}: ${c.components.includes('metallb')}`)).toEqual(['prod: false', 'dc: true']);
    expect(p.clusters[1].loadBalancerAddresses).toBe('10.20.0.240/28');
    expect(problemsOf({ provider: 'exoscale', components: ['metallb'], 'load-balancer-addresses': '10.0.0.0/28' })).toEqual([
      'components: cluster prod on exoscale would run MetalLB, but Exoscale Scalable Kubernetes Service has a cloud load balancer for LoadBalancer Services, and layer 2 announcements do not work on its virtual network (allowed: metallb on clusters without a load balancer of their own (previder, generic, hetzner, leaseweb, local))',
    ]);
    expect(problemsOf({ provider: 'odc-noord', components: ['metallb'], 'load-balancer-addresses': '10.0.0.0/28' }).join('\n')).toContain('is OpenShift, which installs MetalLB with its own operator');
  });

  it('one range is not handed to two clusters, and a CIDR starts where its prefix does', () => {
    expect(problemsOf({ provider: 'previder', clusters: ['acc', 'prod'], 'load-balancer-addresses': '10.20.0.240/28' })).toEqual([
      'load-balancer-addresses: clusters acc, prod would all take 10.20.0.240/28: two clusters on one network would hand out the same addresses (allowed: --cluster-settings acc.load-balancer-addresses=<first-last|cidr>, --cluster-settings prod.load-balancer-addresses=<first-last|cidr>)',
    ]);
    expect(checkAddressRange('10.20.0.245/28')).toBe('"10.20.0.245/28": 10.20.0.245 is not where a /28 starts (MetalLB would take the whole network it is in)');
    expect(checkAddressRange('2001:db8::1/64')).toBe('"2001:db8::1/64": 2001:db8::1 is not where a /64 starts (MetalLB would take the whole network it is in)');
  });
});

describe('what MetalLB renders', () => {
  it.each(['flux', 'argocd'])('%s: the chart in layer 2 mode, a pool and an advertisement per cluster, a privileged namespace; validates clean', async (engine) => {
    const raw: RawAnswers = { engine, provider: 'previder', clusters: ['acc', 'prod'], 'git-remote': REMOTE, 'load-balancer-addresses': '10.20.0.240-10.20.0.250', 'cluster-settings': ['prod.load-balancer-addresses=10.30.0.0/28'] };
    const { files } = plan(raw);
    const pool = (cluster: string) => objects(files, `infrastructure/metallb/config/overlays/${cluster}/address-pool.yaml`);
    expect(pool('acc').map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['IPAddressPool metallb-system/default', 'L2Advertisement metallb-system/default']);
    expect(pool('acc')[0].spec).toEqual({ addresses: ['10.20.0.240-10.20.0.250'], avoidBuggyIPs: true });
    expect(pool('prod')[0].spec).toEqual({ addresses: ['10.30.0.0/28'], avoidBuggyIPs: true });
    expect(pool('prod')[1].spec).toEqual({ ipAddressPools: ['default'] });
    const values = [...files.entries()].filter(([p]) => p.startsWith('infrastructure/metallb/controller/base/')).map(([, t]) => t).join('\n');
    expect(values).toMatch(/frrk8s:\n\s+enabled: false/);
    expect(values).toContain('quay.io/metallb/speaker');
    const report = await validateFiles(files);
    expect(report.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`)).toEqual([]);
    expect(report.clusters).toHaveLength(2);
  });

  it('a misspelt pool field is caught by the metallb.io schema', async () => {
    const { files } = plan({ provider: 'previder', 'load-balancer-addresses': '10.20.0.240/28' });
    const path = 'infrastructure/metallb/config/overlays/prod/address-pool.yaml';
    const broken = new FileSet();
    for (const [p, t] of files.entries()) broken.add(p, p === path ? t.replace('  addresses:', '  adresses:') : t);
    const report = await validateFiles(broken);
    expect(report.findings.filter((f) => f.severity === 'error').map((f) => f.message).join('\n')).toMatch(/adresses/);
  });
});

describe('on a k3d sandbox', () => {
  it("turns k3s's own service load balancer off beside MetalLB, and only then", () => {
    const k3d = (components: string[]) =>
      [...plan({ provider: 'local', 'sandbox-runtime': 'k3d', components, 'load-balancer-addresses': '172.18.255.200/29' }).files.entries()].filter(([p]) => p.startsWith('sandbox/') && p.includes('k3d')).map(([, t]) => t).join('\n');
    expect(k3d(['metallb'])).toContain('--disable=servicelb');
    expect(k3d(['postgres'])).toContain('--disable=traefik');
    expect(k3d(['postgres'])).not.toContain('--disable=servicelb');
  });
});
