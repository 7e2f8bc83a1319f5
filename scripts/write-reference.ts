/** Writes schemas/answers.schema.json and docs/options.md from the question table. */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../lib/package-info.js';
import { answersSchema, componentPages, componentsDoc, optionsDoc, providersDoc } from '../lib/reference.js';

mkdirSync(join(PACKAGE_ROOT, 'schemas'), { recursive: true });
mkdirSync(join(PACKAGE_ROOT, 'docs'), { recursive: true });
writeFileSync(join(PACKAGE_ROOT, 'schemas', 'answers.schema.json'), `${JSON.stringify(answersSchema(), null, 2)}\n`);
writeFileSync(join(PACKAGE_ROOT, 'docs', 'options.md'), optionsDoc());
writeFileSync(join(PACKAGE_ROOT, 'docs', 'providers.md'), providersDoc());
writeFileSync(join(PACKAGE_ROOT, 'docs', 'components.md'), componentsDoc());
const pagesDir = join(PACKAGE_ROOT, 'docs', 'components');
mkdirSync(pagesDir, { recursive: true });
const pages = componentPages();
for (const name of readdirSync(pagesDir)) if (!pages.has(name.replace(/\.md$/, ''))) rmSync(join(pagesDir, name));
for (const [id, page] of pages) writeFileSync(join(pagesDir, `${id}.md`), page);
