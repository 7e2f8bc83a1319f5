/**
 * A CloudNativePG ScheduledBackup's spec.schedule, checked as the operator's validating webhook checks it.
 *
 * cloudnative-pg v1.30.0 (the operator of chart cloudnative-pg 0.29.0, which the catalog pins),
 * internal/webhook/v1/scheduledbackup_webhook.go, ScheduledBackupCustomValidator.validate:
 *
 *     if _, err := cron.Parse(r.GetSchedule()); err != nil {
 *         → field.Invalid(spec.schedule, err.Error())             the request is refused
 *     } else if len(strings.Fields(r.Spec.Schedule)) != 6 {
 *         → warning "Schedule parameter may not have the right number of arguments (usually six arguments are needed)"
 *     }
 *
 * cron is github.com/robfig/cron v1.2.0 (go.mod at v1.30.0). Its Parse (parser.go) uses
 * NewParser(Second | Minute | Hour | Dom | Month | DowOptional | Descriptor): five or six fields, seconds
 * FIRST, the day of week optional (a missing one is "*"), or a descriptor (@yearly, @annually, @monthly,
 * @weekly, @daily, @midnight, @hourly, "@every <time.ParseDuration>"). So a five-field crontab line is NOT
 * refused: "0 2 * * *" is accepted, with the warning above, as second 0, minute 2 of every hour. A
 * descriptor is accepted with the same warning (it is not six fields). internal/webhook/v1/
 * scheduledbackup_webhook_test.go at the tag holds this: "1 2 3 4 5" gives one warning and no error.
 *
 * The webhook can be bypassed (annotation cnpg.io/validation: disabled); the ScheduledBackup controller
 * (internal/controller/scheduledbackup_controller.go) parses with the same cron.Parse and stops with the
 * error, so a refused schedule never runs either way.
 *
 * Reported: a schedule cron.Parse refuses is an error; one it accepts with the webhook's warning is a
 * warning that says how the operator reads it. The messages quote the parser's own error text.
 */
import { objectKey, type K8sObject } from './build.js';
import { error, warning, type Finding } from './findings.js';

const ACCEPTED =
  'six space-separated fields, seconds first: "second minute hour day-of-month month day-of-week" (e.g. "0 0 2 * * *": 02:00:00 every day), ' +
  'or a descriptor (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, "@every <duration>" such as "@every 6h")';

const WEBHOOK_WARNING = 'Schedule parameter may not have the right number of arguments (usually six arguments are needed)';

/** Go's unicode.IsSpace, which strings.Fields splits on. */
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
/** strings.Fields. */
export const goFields = (s: string) => s.split(GO_SPACE).filter((f) => f !== '');

interface Bounds {
  min: bigint;
  max: bigint;
  names?: Record<string, bigint>;
}

// robfig/cron v1.2.0 spec.go.
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FIELDS: { name: string; bounds: Bounds }[] = [
  { name: 'second', bounds: { min: 0n, max: 59n } },
  { name: 'minute', bounds: { min: 0n, max: 59n } },
  { name: 'hour', bounds: { min: 0n, max: 23n } },
  { name: 'day-of-month', bounds: { min: 1n, max: 31n } },
  { name: 'month', bounds: { min: 1n, max: 12n, names: Object.fromEntries(MONTHS.map((m, i) => [m, BigInt(i + 1)])) } },
  { name: 'day-of-week', bounds: { min: 0n, max: 6n, names: Object.fromEntries(DAYS.map((d, i) => [d, BigInt(i)])) } },
];
const DEFAULTS = ['0', '0', '0', '*', '*', '*'];

/** Descriptors and their six-field equivalents (robfig/cron v1.2.0 parser.go parseDescriptor, doc.go). */
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

class ParseError extends Error {}

/** strconv.Atoi, as robfig/cron's mustParseInt uses it (and its errors). */
function mustParseInt(expr: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(expr)) throw new ParseError(`Failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const num = BigInt(expr);
  if (num > INT64_MAX || num < INT64_MIN) throw new ParseError(`Failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: value out of range`);
  if (num < 0n) throw new ParseError(`Negative number (${num}) not allowed: ${expr}`);
  return num;
}

function parseIntOrName(expr: string, names?: Record<string, bigint>): bigint {
  if (names) {
    const named = names[expr.toLowerCase()];
    if (named !== undefined && Object.hasOwn(names, expr.toLowerCase())) return named;
  }
  return mustParseInt(expr);
}

/** getRange: number | number "-" number [ "/" number ], or * / ? . */
function checkRange(expr: string, r: Bounds): void {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0].split('-');
  const singleDigit = lowAndHigh.length === 1;
  let start: bigint;
  let end: bigint;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = r.min;
    end = r.max;
  } else {
    start = parseIntOrName(lowAndHigh[0], r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1], r.names);
    else throw new ParseError(`Too many hyphens: ${expr}`);
  }
  let step = 1n;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]);
    // "N/step" means "N-max/step".
    if (singleDigit) end = r.max;
  } else if (rangeAndStep.length > 2) {
    throw new ParseError(`Too many slashes: ${expr}`);
  }
  if (start < r.min) throw new ParseError(`Beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) throw new ParseError(`End of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) throw new ParseError(`Beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0n) throw new ParseError(`Step of range should be a positive number: ${expr}`);
}

/** getField: a comma-separated list of ranges (strings.FieldsFunc: empty items are dropped). */
function checkField(field: string, r: Bounds): void {
  for (const expr of field.split(',').filter((e) => e !== '')) checkRange(expr, r);
}

const UNITS: Record<string, bigint> = { ns: 1n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };

/** Go's time.ParseDuration (nanoseconds), for "@every <duration>". */
export function parseGoDuration(orig: string): bigint {
  const invalid = () => new ParseError(`time: invalid duration ${JSON.stringify(orig)}`);
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let d = 0n;
  const limit = 1n << 63n;
  while (s !== '') {
    if (!(s[0] === '.' || (s[0] >= '0' && s[0] <= '9'))) throw invalid();
    const intPart = /^[0-9]*/.exec(s)![0];
    let v = 0n;
    for (const c of intPart) {
      if (v > limit / 10n) throw invalid();
      v = v * 10n + BigInt(c);
      if (v > limit) throw invalid();
    }
    s = s.slice(intPart.length);
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s !== '' && s[0] === '.') {
      s = s.slice(1);
      const frac = /^[0-9]*/.exec(s)![0];
      post = frac.length > 0;
      let overflow = false;
      for (const c of frac) {
        if (overflow) continue;
        if (f > (limit - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(c);
        if (y > limit) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      s = s.slice(frac.length);
    }
    if (intPart.length === 0 && !post) throw invalid();
    const unitText = /^[^.0-9]*/.exec(s)![0];
    if (unitText === '') throw new ParseError(`time: missing unit in duration ${JSON.stringify(orig)}`);
    s = s.slice(unitText.length);
    const unit = UNITS[unitText];
    if (unit === undefined || !Object.hasOwn(UNITS, unitText)) throw new ParseError(`time: unknown unit ${JSON.stringify(unitText)} in duration ${JSON.stringify(orig)}`);
    if (v > limit / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > limit) throw invalid();
    }
    d += v;
    if (d > limit) throw invalid();
  }
  if (neg) return -d;
  if (d > limit - 1n) throw invalid();
  return d;
}

export type ScheduleVerdict =
  | { ok: true; fields: number; descriptor?: string; every?: bigint }
  | { ok: false; error: string };

/** robfig/cron v1.2.0 Parse (the default parser: seconds, optional day of week, descriptors). */
export function parseCnpgSchedule(spec: string): ScheduleVerdict {
  const fields = goFields(spec).length;
  try {
    if (spec.length === 0) throw new ParseError('Empty spec string');
    if (spec[0] === '@') {
      if (Object.hasOwn(DESCRIPTORS, spec)) return { ok: true, fields, descriptor: spec };
      if (spec.startsWith('@every ')) {
        let duration: bigint;
        try {
          duration = parseGoDuration(spec.slice('@every '.length));
        } catch (e) {
          throw new ParseError(`Failed to parse duration ${spec}: ${(e as Error).message}`);
        }
        // cron.Every: under a second becomes a second; anything below a second is truncated.
        const second = 1_000_000_000n;
        const every = duration < second ? second : duration - (duration % second);
        return { ok: true, fields, descriptor: spec, every };
      }
      throw new ParseError(`Unrecognized descriptor: ${spec}`);
    }
    const parts = goFields(spec);
    if (parts.length < 5 || parts.length > 6) throw new ParseError(`Expected 5 to 6 fields, found ${parts.length}: ${spec}`);
    const expanded = [...parts, ...DEFAULTS.slice(parts.length)];
    expanded.forEach((f, i) => checkField(f, FIELDS[i].bounds));
    return { ok: true, fields };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: e.message };
    throw e;
  }
}

const seconds = (ns: bigint) => {
  let s = ns / 1_000_000_000n;
  const parts: string[] = [];
  for (const [unit, size] of [['h', 3600n], ['m', 60n], ['s', 1n]] as const) {
    if (s >= size) {
      parts.push(`${s / size}${unit}`);
      s %= size;
    }
  }
  return parts.join('') || '0s';
};

/** Findings for every ScheduledBackup (postgresql.cnpg.io) among `objects`. */
export function checkScheduledBackups(objects: { object: K8sObject; file: string }[]): Finding[] {
  const findings: Finding[] = [];
  for (const { object, file } of objects) {
    if (object?.kind !== 'ScheduledBackup' || !object.apiVersion?.startsWith('postgresql.cnpg.io/')) continue;
    const schedule = object.spec?.schedule;
    // Missing or not a string: the schema check reports it.
    if (typeof schedule !== 'string') continue;
    const where = { object: objectKey(object), path: '/spec/schedule' };
    const shown = JSON.stringify(schedule);
    const verdict = parseCnpgSchedule(schedule);
    if (!verdict.ok) {
      const bypassed = object.metadata?.annotations?.['cnpg.io/validation'] === 'disabled';
      const refusal = bypassed
        ? 'the CloudNativePG ScheduledBackup controller cannot parse it (validation is disabled, so the webhook lets it in, but no backup is ever taken)'
        : "CloudNativePG's validating webhook refuses the ScheduledBackup";
      findings.push(error('schema', file, `schedule ${shown}: ${refusal}: ${verdict.error} (github.com/robfig/cron v1.2.0 Parse, with seconds); write ${ACCEPTED}`, where));
      continue;
    }
    if (verdict.fields === 6) continue;
    let reading: string;
    if (verdict.descriptor !== undefined) {
      reading = verdict.every !== undefined
        ? `it runs every ${seconds(verdict.every)} from when the operator schedules it`
        : `it means ${JSON.stringify(DESCRIPTORS[verdict.descriptor])}`;
      findings.push(
        warning('schema', file, `schedule ${shown} is a descriptor, which CloudNativePG accepts with the warning "${WEBHOOK_WARNING}" (${reading}); write six fields, seconds first, to state the time exactly`, where),
      );
      continue;
    }
    // Five fields: cron reads them as second, minute, hour, day of month, month; the day of week is "*".
    const parts = goFields(schedule);
    const asRead = FIELDS.slice(0, 5).map((f, i) => `${f.name} ${parts[i]}`).join(', ');
    findings.push(
      warning(
        'schema',
        file,
        `schedule ${shown} has 5 fields: CloudNativePG accepts it with the warning "${WEBHOOK_WARNING}" and reads it with seconds first (${asRead}, any day of the week), not as a crontab line; ` +
          `for the crontab meaning write ${JSON.stringify(`0 ${parts.join(' ')}`)}: ${ACCEPTED}`,
        where,
      ),
    );
  }
  return findings;
}
