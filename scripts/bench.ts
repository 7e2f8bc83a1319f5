/**
 * npm run bench: medians over repeated runs (no timed tests). Measures the start-up of the bin,
 * generation through the bin, in-process planning + rendering for growing fleets, and validation,
 * then writes bench-results/bench.json. Usage: npm run bench [-- --runs N]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/** Runs a command RUNS times; peak RSS from GNU time when the machine has it. */
function benchCommand(name: string, args: string[], setup?: (i: number) => string[]): void {
  const times: number[] = [];
  let peak = 0;
  const gnuTime = spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status === 0;
  for (let i = 0; i < RUNS; i++) {
    const extra = setup?.(i) ?? [];
    const argv = [BIN, ...args, ...extra];
    const start = performance.now();
    const r = gnuTime
      ? spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...argv], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
      : spawnSync(process.execPath, argv, { cwd: work, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    times.push(performance.now() - start);
    if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr}`);
    if (gnuTime) peak = Math.max(peak, Number(r.stderr.trim().split('\n').at(-1)) / 1024);
  }
  record(name, times, gnuTime ? Math.round(peak) : undefined);
}

const catalog = loadCatalog();
const ctx = { catalog, directoryName: 'bench' };
const PROVIDERS = ['ovhcloud', 'scaleway', 'local'];
function fleet(n: number, engine: string) {
  const clusters = Array.from({ length: n }, (_, i) => `c${i}:${PROVIDERS[i % PROVIDERS.length]}`);
  return resolveAnswers(withDefaults({ engine, provider: 'ovhcloud', clusters, 'git-remote': 'https://git.example.nl/p.git' }, ctx), ctx);
}

benchCommand('bin --help (start-up)', ['--help']);
benchCommand('bin generate, 1 cluster, flux, --no-git', ['--yes', '--no-git', '--provider', 'ovhcloud'], (i) => [`flux-${i}`]);
benchCommand('bin generate, 1 cluster, flux, with git commit', ['--yes', '--provider', 'ovhcloud'], (i) => [`git-${i}`]);
benchCommand('bin validate (kubectl kustomize builds)', ['validate', 'git-0']);

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
  validateStructure(structure);
  vt.push(performance.now() - start);
}
record('structural validation alone, 100 clusters', vt);

const byName = (prefix: string) => results.find((r) => r.name.startsWith(prefix))!.medianMs;
const ratios = {
  'render 342 / 34 clusters (flux; linear growth is 10.1)': +(byName('plan+render in memory, 342 clusters, flux') / byName('plan+render in memory, 34 clusters, flux')).toFixed(2),
  'generate with git / --no-git': +(byName('bin generate, 1 cluster, flux, with git') / byName('bin generate, 1 cluster, flux, --no-git')).toFixed(2),
};
for (const [k, v] of Object.entries(ratios)) process.stdout.write(`ratio ${k}: ${v}\n`);

const out = join(PACKAGE_ROOT, 'bench-results');
mkdirSync(out, { recursive: true });
const node = execFileSync(process.execPath, ['--version'], { encoding: 'utf8' }).trim();
writeFileSync(join(out, 'bench.json'), `${JSON.stringify({ node, runs: RUNS, results, ratios }, null, 2)}\n`);
process.stdout.write(`written to ${join(out, 'bench.json')}\n`);
rmSync(work, { recursive: true, force: true });
