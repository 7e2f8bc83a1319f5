/** Validation of a repository on disk: the in-memory structural checks plus kustomize builds. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { FileSet } from '../fileset.js';
import { buildAll, kubectlAvailable } from './kustomize.js';
import { validateStructure, type Finding } from './structure.js';

const TEXT_FILES = /\.(ya?ml|md|json|txt)$|(^|\/)\.git(ignore|attributes)$/;

export function readRepository(root: string): FileSet {
  const files = new FileSet();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      if (entry === '.git' || entry === 'node_modules') continue;
      const path = join(dir, entry);
      const rel = relative(root, path).split(sep).join('/');
      if (statSync(path).isDirectory()) walk(path);
      else if (TEXT_FILES.test(rel)) files.add(rel, readFileSync(path, 'utf8'));
    }
  };
  walk(root);
  return files;
}

export interface ValidationReport {
  root: string;
  files: number;
  kustomizations: number;
  kustomizeChecked: boolean;
  findings: Finding[];
  notes: string[];
}

export async function validateDirectory(root: string): Promise<ValidationReport> {
  const files = readRepository(root);
  const findings = validateStructure(files);
  const notes: string[] = [];
  let kustomizations = 0;
  const kubectl = await kubectlAvailable();
  if (kubectl) {
    const result = await buildAll(root);
    kustomizations = result.builds.length;
    findings.push(...result.findings);
  } else {
    notes.push('kubectl is not installed: kustomizations were checked for missing files but not built. Install kubectl to build them.');
  }
  return { root, files: files.size, kustomizations, kustomizeChecked: kubectl, findings, notes };
}

export function formatReport(report: ValidationReport): string {
  const byFile = new Map<string, string[]>();
  for (const f of report.findings) byFile.set(f.file, [...(byFile.get(f.file) ?? []), f.message]);
  const lines: string[] = [];
  for (const [file, messages] of [...byFile.entries()].sort()) {
    lines.push(file);
    for (const m of messages) lines.push(`  ✗ ${m}`);
  }
  for (const n of report.notes) lines.push(`note: ${n}`);
  const built = report.kustomizeChecked ? `, ${report.kustomizations} kustomizations built` : '';
  lines.push(
    report.findings.length === 0
      ? `✓ ${report.files} files valid${built}`
      : `✗ ${report.findings.length} problem(s) in ${byFile.size} file(s); ${report.files} files checked${built}`,
  );
  return lines.join('\n');
}
