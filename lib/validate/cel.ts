/**
 * The CRDs' CEL rules (`x-kubernetes-validations`) as an ajv keyword, and the two run-time helpers
 * the generated validator code calls: CEL evaluation and a RegExp that understands RE2's `(?i)`.
 *
 * The keyword generates code instead of being a compiled function, so that a validator can also be
 * written out as ajv standalone code (precompiled.ts). That code reaches the helpers through a
 * variable named `helpers`, which the loader provides; compiled at run time, ajv passes them by
 * reference. Both ways run the same functions, counting into the same statistics.
 */
import { re2, type RE2JS } from './re2.js';
import { parse as parseCel } from '@marcbachmann/cel-js';
import { _, Name, stringify, type CodeKeywordDefinition, type ErrorObject, type KeywordCxt } from 'ajv';
import { extendErrors } from 'ajv/dist/compile/errors.js';
import namesModule from 'ajv/dist/compile/names.js';

// ajv's names, a CommonJS module: Node hands ESM its `module.exports` (the names under `default`),
// bundlers and vitest the default export itself.
type Names = { vErrors: Name; errors: Name };
const namesExport = namesModule as unknown as Names | { default: Names };
const N: Names = 'default' in namesExport ? namesExport.default : namesExport;

export interface CelStats {
  evaluated: number;
  /** Rules that use Kubernetes CEL extensions this evaluator lacks, or transition rules (oldSelf). */
  notEvaluated: number;
  unsupported: Set<string>;
}

export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
}

type CelErrors = Partial<ErrorObject>[] | null;

/** What generated validator code calls at run time; one set per registry, so statistics are per run. */
export interface ValidatorHelpers {
  /** With `code`: how generated code names it. */
  regExp: typeof regExp;
  /** The checker for one keyword's rules: the errors of the rules `data` breaks, or null. */
  cel: (rules: CelRule[]) => (data: unknown) => CelErrors;
}

/** The name generated code uses for the helpers (see precompiled.ts). */
export const HELPERS = 'helpers';

/**
 * A schema `pattern` as Kubernetes matches it (Go's RE2): JavaScript's engine for the short strings
 * patterns are written for, RE2 (re2js, linear time) for a long one, where a backtracking engine can take
 * minutes on a merge request's value. Go/RE2 inline flags `(?i)` are not JavaScript: for the native
 * engine the whole pattern becomes case-insensitive instead.
 */
export function regExp(source: string, flags: string): RegExp {
  const native = source.includes('(?i)') ? new RegExp(source.replaceAll('(?i)', ''), `${flags}i`) : new RegExp(source, flags);
  let linear: RE2JS | null | undefined;
  const test = (text: string): boolean => {
    if (text.length <= LONG_TEXT) return RegExp.prototype.test.call(native, text);
    if (linear === undefined) {
      try {
        linear = re2().compile(source, flags.includes('i') ? re2().CASE_INSENSITIVE : 0);
      } catch {
        linear = null;
      }
    }
    // A pattern RE2 cannot compile (look-arounds: not Kubernetes' syntax) on a long text: not matched.
    return linear ? linear.matcher(text).find() : false;
  };
  // Still the RegExp ajv's generated code keys and prints; only its test is the length-aware one.
  return Object.assign(native, { test });
}
/** Longer texts are matched in linear time. */
const LONG_TEXT = 1024;
regExp.code = `${HELPERS}.regExp`;

/** CEL values: integers are int (BigInt), everything else as is. */
function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  return value;
}

/** Items a list a CEL rule is evaluated on may hold (CRDs cap theirs far lower with maxItems). */
const MAX_CEL_ITEMS = 1_000;

/** A list, or an object with a list, longer than any CRD allows: in time of its keys, not its size. */
function oversized(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > MAX_CEL_ITEMS;
  if (!value || typeof value !== 'object') return false;
  for (const v of Object.values(value)) if (Array.isArray(v) && v.length > MAX_CEL_ITEMS) return true;
  return false;
}

export function validatorHelpers(stats: CelStats): ValidatorHelpers {
  return {
    regExp,
    cel(rules) {
      const compiled = rules.map((r) => {
        if (/\boldSelf\b/.test(r.rule)) return { r, fn: undefined };
        try {
          return { r, fn: parseCel(r.rule) as (ctx: Record<string, unknown>) => unknown };
        } catch {
          return { r, fn: undefined };
        }
      });
      return (data) => {
        const errors: Partial<ErrorObject>[] = [];
        // Data far larger than any CRD's limits allow (maxItems, which the schema check reports) is not
        // evaluated: rules over pairs of items would take minutes, where the API server stops at its cost budget.
        if (oversized(data)) {
          stats.notEvaluated += compiled.length;
          return null;
        }
        for (const { r, fn } of compiled) {
          if (!fn) {
            stats.notEvaluated++;
            continue;
          }
          let result: unknown;
          try {
            result = fn({ self: toCel(data) });
          } catch (error) {
            stats.notEvaluated++;
            const m = /overload for '(\w+)/.exec((error as Error).message);
            if (m) stats.unsupported.add(m[1]);
            continue;
          }
          stats.evaluated++;
          if (result !== true) {
            errors.push({
              keyword: 'x-kubernetes-validations',
              message: `${r.message ?? `failed CEL rule ${r.rule}`}${r.fieldPath ? ` (${r.fieldPath})` : ''}`,
              params: { rule: r.rule },
            });
          }
        }
        return errors.length > 0 ? errors : null;
      };
    },
  };
}

/**
 * `x-kubernetes-validations` as a code keyword: calls the helpers' checker for its rules and adds its
 * errors the way ajv adds a function keyword's (instancePath and schemaPath filled in).
 */
export function celKeyword(helpers: ValidatorHelpers): CodeKeywordDefinition {
  return {
    keyword: 'x-kubernetes-validations',
    schemaType: 'array',
    // errors are added by hand (below), after the count ajv keeps to extend them with paths
    trackErrors: true,
    code(cxt: KeywordCxt) {
      const { gen, data } = cxt;
      const rules = cxt.schema as CelRule[];
      const check = gen.scopeValue('func', { ref: helpers.cel(rules), code: _`${new Name(HELPERS)}.cel(${stringify(rules)})` });
      const errors = gen.const('celErrors', _`${check}(${data})`);
      gen.if(_`${errors} !== null`, () => {
        gen.assign(N.vErrors, _`${N.vErrors} === null ? ${errors} : ${N.vErrors}.concat(${errors})`).assign(N.errors, _`${N.vErrors}.length`);
        extendErrors(cxt);
      });
      cxt.ok(_`${errors} === null`);
    },
  };
}
