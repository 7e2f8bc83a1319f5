/** Validation reports for people (grouped per file), and for machines (JSON, JUnit XML). */
import type { Finding } from './findings.js';
import type { Report } from './repository.js';

export type OutputFormat = 'human' | 'json' | 'junit';

const count = (findings: Finding[], severity: Finding['severity']) => findings.filter((f) => f.severity === severity).length;

/** The exit code of `haven-plus validate` for a report: 2 nothing to validate, 1 errors, 3 unverified, 0 valid. */
export function exitCode(report: Report): 0 | 1 | 2 | 3 {
  if (report.clusters.length === 0) return 2;
  if (count(report.findings, 'error') > 0) return 1;
  return count(report.findings, 'unverified') > 0 ? 3 : 0;
}

/** `1 file`, `2 files`: a count and its noun. */
export const counted = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

export function summaryLine(report: Report): string {
  const errors = count(report.findings, 'error');
  const open = count(report.findings, 'unverified');
  const warnings = count(report.findings, 'warning');
  const s = report.stats;
  const what = `${counted(s.files, 'file')}, ${counted(s.objects, 'object')} (${s.schemas} schema-checked, ${counted(s.celRules, 'CEL rule')}), ${counted(s.kustomizations, 'kustomization')}, the values of ${counted(s.chartValues, 'chart release')}`;
  const rest = [open ? `${open} unverified` : '', warnings ? `${warnings} warning(s)` : ''].filter(Boolean).join(', ');
  // Exit 2: what a cluster applies is the subject, and there is none (what else was found is above it).
  if (report.clusters.length === 0) {
    const others = [errors > 1 ? `${errors - 1} other error(s)` : '', rest].filter(Boolean).join(', ');
    return `✗ nothing to validate: no cluster found${others ? `; ${others} in the files scanned` : ''}`;
  }
  if (errors > 0) return `✗ ${errors} error(s)${rest ? `, ${rest}` : ''} in ${what}`;
  if (open > 0) return `? not verified: ${open} chart version(s) outside the pinned data${warnings ? `, ${warnings} warning(s)` : ''} in ${what}`;
  return `✓ valid: ${what}${warnings ? `; ${warnings} warning(s)` : ''}`;
}

/** The object and path a finding is at, the path left out where the message starts with it (a schema's `/metadata: unknown field …`). */
function located(f: Finding): string {
  const pathSaid = f.path !== undefined && f.message.startsWith(`${f.path}: `);
  return [f.object, pathSaid ? undefined : f.path].filter(Boolean).join(' ');
}

/**
 * Text from the repository (names, paths, values) as a terminal shows it without obeying it: control
 * characters (escape sequences that clear the screen or draw a fake "✓ valid", newlines that start a
 * line of their own, bidirectional overrides) are shown as `\u{…}` escapes.
 */
export const printable = (text: string) => text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);

export function formatHuman(report: Report): string {
  return printable(formatLines(report).join('\n'));
}

function formatLines(report: Report): string[] {
  const byFile = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const list = byFile.get(f.file);
    if (list) list.push(f);
    else byFile.set(f.file, [f]);
  }
  const lines: string[] = [];
  for (const [file, list] of byFile) {
    lines.push(file);
    for (const f of list) {
      const where = located(f);
      lines.push(`  ${{ error: '✗', unverified: '?', warning: '!' }[f.severity]} [${f.check}] ${where ? `${where}: ` : ''}${f.message}`);
    }
  }
  if (report.mustCreate.length > 0) {
    lines.push('', 'You must create (not in git, by design):');
    for (const m of report.mustCreate) {
      lines.push(`  - cluster ${m.cluster}: ${m.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name}${m.keys.length ? ` with keys ${m.keys.join(', ')}` : ''} (used by ${m.referencedBy.join(', ')}${m.ifMissing ? `; without it, ${m.ifMissing}` : ''})`);
    }
  }
  for (const n of report.notes) lines.push(`note: ${n}`);
  lines.push(
    report.clusters.length === 0
      ? 'no cluster found: nothing here is applied by Flux or Argo CD as written (see the error above)'
      : `clusters: ${report.clusters.map((c) => `${c.name} (${c.engine}, ${c.root})`).join(', ')}`,
  );
  lines.push(summaryLine(report));
  // Each line's own newlines (a file name or message that holds one) shown, not obeyed.
  return lines.map((line) => line.replaceAll('\n', '\\n'));
}

export function formatJson(report: Report): string {
  return JSON.stringify({ valid: count(report.findings, 'error') === 0, verified: count(report.findings, 'unverified') === 0, exitCode: exitCode(report), ...report }, null, 2);
}

/** Text as XML 1.0 allows it: markup escaped, and the characters it forbids (most control characters) as `\u{…}`. */
const xml = (s: string) =>
  s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`)
    .replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/** One test case per file and check; a failure per error, warnings as system-out. */
export function formatJunit(report: Report, files: string[]): string {
  const checks = ['yaml', 'kustomize', 'schema', 'reference', 'values', 'secrets'] as const;
  // Grouped once: a repository of many files with findings is linear, not files × findings.
  const byFileAndCheck = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const key = `${f.check}\u0000${f.file}`;
    const list = byFileAndCheck.get(key);
    if (list) list.push(f);
    else byFileAndCheck.set(key, [f]);
  }
  const suites = checks.map((check) => {
    const cases = files.map((file) => {
      const found = byFileAndCheck.get(`${check}\u0000${file}`) ?? [];
      const errors = found.filter((f) => f.severity === 'error');
      const warnings = found.filter((f) => f.severity === 'warning');
      const open = found.filter((f) => f.severity === 'unverified');
      const failure = errors.length
        ? `<failure message="${xml(`${errors.length} problem(s)`)}">${xml(errors.map((f) => `${located(f)} ${f.message}`.trim()).join('\n'))}</failure>`
        : open.length
          ? `<skipped message="${xml(open.map((f) => f.message).join('\n'))}"/>`
          : '';
      const out = warnings.length ? `<system-out>${xml(warnings.map((f) => f.message).join('\n'))}</system-out>` : '';
      return { xml: `    <testcase classname="${check}" name="${xml(file)}">${failure}${out}</testcase>`, failed: errors.length > 0 };
    });
    return `  <testsuite name="${check}" tests="${cases.length}" failures="${cases.filter((c) => c.failed).length}">\n${cases.map((c) => c.xml).join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="haven-plus validate">\n${suites.join('\n')}\n</testsuites>`;
}
