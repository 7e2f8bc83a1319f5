/** Render: Plan → FileSet. Pure: the same plan always gives the same bytes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toStored } from '../answers.js';
import { FileSet } from '../fileset.js';
import { TEMPLATES_DIR } from '../package-info.js';
import type { Plan } from '../plan.js';
import { renderArgoCD } from './argocd.js';
import { renderCompliance } from './compliance.js';
import { renderDocs } from './docs.js';
import { renderFlux } from './flux.js';
import { renderSandbox } from './sandbox.js';
import { renderTemplate } from './template.js';
import { renderTenants } from './tenants.js';
import { sopsConfig } from '../secrets/sops-config.js';
import { sealedSecretsCertPath } from '../secrets/sealed.js';

export function renderRepository(plan: Plan): FileSet {
  const files = new FileSet();
  const stagePaths = plan.engine === 'flux' ? renderFlux(files, plan) : undefined;
  if (plan.engine === 'argocd') renderArgoCD(files, plan);
  // npm drops dotfiles named .gitignore from packages: they are stored without the dot.
  files.add('.gitignore', readFileSync(join(TEMPLATES_DIR, 'repo', 'gitignore'), 'utf8'));
  files.add('.gitattributes', readFileSync(join(TEMPLATES_DIR, 'repo', 'gitattributes'), 'utf8'));
  const ci = { gitlab: ['gitlab-ci.yml.hbs', '.gitlab-ci.yml'], github: ['github-validate.yml.hbs', '.github/workflows/validate.yml'] } as const;
  for (const provider of plan.answers.ci) {
    const [template, path] = ci[provider];
    files.add(path, renderTemplate(join(TEMPLATES_DIR, 'repo', 'ci', template), { plan }));
  }
  for (const cluster of plan.clusters) {
    const pem = sealedSecretsCertPath(cluster.name);
    if (plan.secrets === 'sealed-secrets' && plan.secretFiles.has(pem)) files.add(pem, plan.secretFiles.get(pem)!);
  }
  if (plan.secrets === 'sops' && plan.answers.ageRecipients.length > 0) files.add('.sops.yaml', sopsConfig(plan.answers.ageRecipients));
  renderSandbox(files, plan);
  renderTenants(files, plan);
  renderCompliance(files, plan);
  renderDocs(files, plan, stagePaths);
  // The answers, in Yeoman's own file: re-runs and subgenerators read them.
  files.add('.yo-rc.json', `${JSON.stringify({ [plan.generator.name]: { answers: toStored(plan.answers), version: plan.generator.version } }, null, 2)}\n`);
  return files;
}
