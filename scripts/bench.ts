/**
 * npm run bench: medians over repeated runs (no timed tests), with peak memory. Measures the start-up
 * of the bin beside `yo haven-plus`, generation and validation through the bin for 1, 10, 100 and 342
 * clusters (--preset minimal, with an overlay per cluster, with --overlays per-profile and as an Argo CD hub; --preset
 * haven-plus for 1 and 10), in-process planning + rendering for
 * growing fleets, and writes bench-results/bench.json. Usage: npm run bench [-- --runs N] [-- --quick]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { resolveAnswers, withDefaults } from '../lib/answers.js';
import { loadCatalog } from '../lib/catalog.js';
import { render } from '../lib/generate.js';
import { PACKAGE_ROOT } from '../lib/package-info.js';
import { validateStructure } from '../lib/validate/structure.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;
/** --quick: fleets up to 100 clusters only (skips the 342-cluster fleets, the longest part). */
const QUICK = process.argv.includes('--quick');
const BIN = join(PACKAGE_ROOT, 'dist', 'bin', 'haven-plus.js');
const work = mkdtempSync(join(tmpdir(), 'haven-plus-bench-'));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Measurement {
  name: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  peakRssMiB?: number;
}
const results: Measurement[] = [];

function record(name: string, times: number[], peakRssMiB?: number): void {
  const m = { name, runs: times.length, medianMs: +median(times).toFixed(1), minMs: +Math.min(...times).toFixed(1), maxMs: +Math.max(...times).toFixed(1), peakRssMiB };
  results.push(m);
  process.stdout.write(`${name.padEnd(48)} median ${m.medianMs.toFixed(1).padStart(8)} ms  (min ${m.minMs}, max ${m.maxMs}${peakRssMiB ? `, peak RSS ${peakRssMiB} MiB` : ''})\n`);
}

/** Runs a command `runs` times; peak RSS (of the process tree's largest process) from GNU time when the machine has it. */
function benchCommand(name: string, command: string[], opts: { setup?: (i: number) => string[]; runs?: number } = {}): void {
  const times: number[] = [];
  let peak = 0;
  const gnuTime = spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status === 0;
  for (let i = 0; i < (opts.runs ?? RUNS); i++) {
    const argv = [...command, ...(opts.setup?.(i) ?? [])];
    const start = performance.now();
    const r = gnuTime
      ? spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 28 })
      : spawnSync(argv[0], argv.slice(1), { cwd: work, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 28 });
    times.push(performance.now() - start);
    if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr}`);
    if (gnuTime) peak = Math.max(peak, Number(r.stderr.trim().split('\n').at(-1)) / 1024);
  }
  record(name, times, gnuTime ? Math.round(peak) : undefined);
}

const bin = (...args: string[]) => [process.execPath, BIN, ...args];

const catalog = loadCatalog();
const ctx = { catalog, directoryName: 'bench' };
const PROVIDERS = ['ovhcloud', 'scaleway', 'local'];
function fleet(n: number, engine: string) {
  const clusters = Array.from({ length: n }, (_, i) => `c${i}:${PROVIDERS[i % PROVIDERS.length]}`);
  return resolveAnswers(withDefaults({ engine, provider: 'ovhcloud', clusters, 'git-remote': 'https://git.example.nl/p.git' }, ctx), ctx);
}

// Start-up: the bin beside yo (found as users find it: a generator-haven-plus package in node_modules).
// yo started as root drops to an unprivileged user: it must be able to read the work directory.
chmodSync(work, 0o755);
mkdirSync(join(work, 'node_modules'));
symlinkSync(PACKAGE_ROOT, join(work, 'node_modules', 'generator-haven-plus'));
benchCommand('bin --help (start-up)', bin('--help'));
benchCommand('yo haven-plus --help (start-up)', [join(PACKAGE_ROOT, 'node_modules', '.bin', 'yo'), 'haven-plus', '--help', '--no-insight']);
benchCommand('bin generate, 1 cluster, minimal, with git commit', bin('--yes', '--provider', 'ovhcloud'), { setup: (i) => [`git-${i}`] });

// Fleets through the bin: generation (plan, render, in-memory validation, write) and `haven-plus validate`
// of the result (the same pipeline plus a kubectl kustomize build of every kustomization).
const clusterList = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`).join(',');
// `minimal` and `haven-plus` with an overlay per cluster; `minimal, per-profile` shares them (--overlays per-profile),
// the fleet layout: the clusters alternate between two provider profiles.
const profileClusters = (n: number) => Array.from({ length: n }, (_, i) => `c${i}${i % 2 ? ':scaleway' : ''}`).join(',');
// `minimal, hub` is Argo CD on the first cluster deploying to the others (--topology hub; ExternalSecrets, so every
// registration is in git and the validator expands every ApplicationSet).
// `fleet` is the fleet of the validate issue: object storage and PostgreSQL, the clusters spread over nine
// provider profiles, an overlay per cluster.
const NINE = ['ovhcloud', 'scaleway', 'hetzner', 'exoscale', 'ionos', 'stackit', 'otc', 'cyso', 'previder'];
const nineProviders = (n: number) => Array.from({ length: n }, (_, i) => `c${i}${i % 9 ? `:${NINE[i % 9]}` : ''}`).join(',');
const sizes: [string, number[]][] = [
  ['fleet', QUICK ? [1, 34, 100] : [1, 34, 342]],
  ['minimal', QUICK ? [1, 10, 34, 100] : [1, 10, 34, 100, 342]],
  ['minimal, per-profile', QUICK ? [34, 100] : [34, 100, 342]],
  ['minimal, hub', QUICK ? [34, 100] : [34, 100, 342]],
  ['haven-plus', [1, 10]],
  // The whole platform for a fleet: with an overlay per cluster, validating 342 clusters would be some 15 000
  // kubectl builds; shared overlays are how such a fleet is laid out.
  ['haven-plus, per-profile', QUICK ? [34, 100] : [34, 100, 342]],
];
const HUB = ['--engine', 'argocd', '--topology', 'hub', '--secrets', 'external-secrets', '--secret-store', 'openbao', '--git-remote', 'https://git.example.nl/p.git'];
for (const [variant, ns] of sizes) {
  const [preset, layout] = variant.split(', ');
  for (const n of ns) {
    const runs = n >= 100 ? 3 : RUNS;
    const extra = [
      ...(preset === 'haven-plus' ? ['--keycloak-hostname', 'id-{cluster}.example.nl'] : []),
      ...(preset === 'fleet' ? ['--components', 'object-storage,postgres', '--clusters', nineProviders(n)] : []),
      ...(preset === 'fleet' ? [] : layout === 'hub' ? [...HUB, '--clusters', clusterList(n)] : layout ? ['--overlays', layout, '--clusters', profileClusters(n)] : ['--clusters', clusterList(n)]),
    ];
    const name = `${preset}${layout ? `-${layout}` : ''}-${n}`;
    benchCommand(`bin generate, ${n} clusters, ${variant}, --no-git`, bin('--yes', '--no-git', '--provider', 'ovhcloud', ...(preset === 'fleet' ? [] : ['--preset', preset]), ...extra), {
      setup: (i) => [`${name}-${i}`],
      runs,
    });
    benchCommand(`bin validate, ${n} clusters, ${variant}`, bin('validate', `${name}-0`), { runs: n >= 100 ? 1 : 3 });
  }
}

for (const n of [1, 10, 34, 100, 342]) {
  for (const engine of ['flux', 'argocd']) {
    const answers = fleet(n, engine);
    const times: number[] = [];
    let files = 0;
    const runs = n >= 100 ? Math.max(3, Math.floor(RUNS / 2)) : RUNS;
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      files = render(answers, catalog).files.size;
      times.push(performance.now() - start);
    }
    record(`plan+render in memory, ${n} clusters, ${engine} (${files} files)`, times, Math.round(process.memoryUsage().rss / 2 ** 20));
  }
}

const structure = render(fleet(100, 'flux'), catalog).files;
const vt: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const start = performance.now();
  validateStructure(structure, structure.paths());
  vt.push(performance.now() - start);
}
record('structural validation alone, 100 clusters', vt);

const byName = (prefix: string) => results.find((r) => r.name.startsWith(prefix))?.medianMs ?? NaN;
const exact = (name: string) => results.find((r) => r.name === name)?.medianMs ?? NaN;
const largest = QUICK ? 100 : 342;
const both = (variant: string, n = largest) => exact(`bin generate, ${n} clusters, ${variant}, --no-git`) + exact(`bin validate, ${n} clusters, ${variant}`);
const ratios = {
  'render 342 / 34 clusters (flux; linear growth is 10.1)': +(byName('plan+render in memory, 342 clusters, flux') / byName('plan+render in memory, 34 clusters, flux')).toFixed(2),
  [`bin generate ${largest} / 34 clusters, minimal (target ≤ 12 for 342)`]: +(exact(`bin generate, ${largest} clusters, minimal, --no-git`) / exact('bin generate, 34 clusters, minimal, --no-git')).toFixed(2),
  [`bin generate + validate ${largest} / 34 clusters, minimal, per-profile (target ≤ 12 for 342)`]: +(both('minimal, per-profile') / both('minimal, per-profile', 34)).toFixed(2),
  [`bin generate + validate ${largest} / 34 clusters, minimal, Argo CD hub`]: +(both('minimal, hub') / both('minimal, hub', 34)).toFixed(2),
  [`bin generate + validate ${largest} / 34 clusters, haven-plus, per-profile`]: +(both('haven-plus, per-profile') / both('haven-plus, per-profile', 34)).toFixed(2),
  [`bin generate + validate ${largest} / 34 clusters, fleet (target ≤ 10 for 342)`]: +(both('fleet') / both('fleet', 34)).toFixed(2),
  'yo / bin start-up (target ≥ 1.3)': +(byName('yo haven-plus --help') / byName('bin --help')).toFixed(2),
};
const peakOf = (rs: Measurement[]) => (rs.length && rs.every((r) => r.peakRssMiB !== undefined) ? Math.max(...rs.map((r) => r.peakRssMiB!)) : NaN);
// Each target: what was measured and its limit. A target whose runs this bench did not make is not
// measured (null in bench.json), never "missed".
const limits: Record<string, [number, number]> = {
  'generate 1 cluster through the bin < 1000 ms': [exact('bin generate, 1 clusters, minimal, --no-git'), 1000],
  'validate 1 cluster (object storage + PostgreSQL) < 500 ms': [exact('bin validate, 1 clusters, fleet'), 500],
  [`generate + validate ${largest} clusters < 30 s, fleet (nine providers, object storage + PostgreSQL, an overlay per cluster)`]: [both('fleet'), 30_000],
  [`generate + validate ${largest} clusters < 60 s, overlays per profile`]: [both('minimal, per-profile'), 60_000],
  [`generate + validate ${largest} clusters < 60 s, an overlay per cluster`]: [both('minimal'), 60_000],
  [`generate + validate ${largest} clusters < 60 s, Argo CD hub`]: [both('minimal, hub'), 60_000],
  [`generate + validate ${largest} clusters < 60 s, haven-plus, overlays per profile`]: [both('haven-plus, per-profile'), 60_000],
  [`peak memory of ${largest} clusters < 1.5 GiB`]: [peakOf(results.filter((r) => r.name.includes(` ${largest} clusters, `))), 1536],
};
const targets = Object.fromEntries(Object.entries(limits).map(([k, [value, limit]]) => [k, Number.isNaN(value) ? null : value < limit]));
for (const [k, v] of Object.entries(targets)) process.stdout.write(`target ${k}: ${v === null ? 'not measured' : v ? 'met' : 'MISSED'}\n`);
for (const [k, v] of Object.entries(ratios)) process.stdout.write(`ratio ${k}: ${v}\n`);

const out = join(PACKAGE_ROOT, 'bench-results');
mkdirSync(out, { recursive: true });
const node = execFileSync(process.execPath, ['--version'], { encoding: 'utf8' }).trim();
writeFileSync(join(out, 'bench.json'), `${JSON.stringify({ node, runs: RUNS, quick: QUICK, results, ratios, targets }, null, 2)}\n`);
process.stdout.write(`written to ${join(out, 'bench.json')}\n`);
rmSync(work, { recursive: true, force: true });
