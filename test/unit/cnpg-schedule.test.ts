/**
 * CloudNativePG ScheduledBackup schedules (lib/validate/cnpg-schedule.ts), as the operator's webhook
 * (cloudnative-pg v1.30.0) judges them with robfig/cron v1.2.0: the generator's own pass, refused ones
 * are errors that say the accepted form, five fields and descriptors are the webhook's warning.
 */
import { describe, expect, it } from 'vitest';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { render } from '../../lib/generate.js';
import type { RawAnswers } from '../../lib/questions.js';
import { objectsOf, type K8sObject } from '../../lib/validate/build.js';
import { checkScheduledBackups, parseCnpgSchedule, parseGoDuration } from '../../lib/validate/cnpg-schedule.js';

const catalog = loadCatalog();
const ctx = { catalog, directoryName: 'platform' };

const backup = (schedule: unknown, annotations?: Record<string, string>): { object: K8sObject; file: string } => ({
  file: 'databases.yaml',
  object: {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'ScheduledBackup',
    metadata: { name: 'app-nightly', namespace: 'databases', ...(annotations ? { annotations } : {}) },
    spec: { schedule, backupOwnerReference: 'self', cluster: { name: 'app' }, method: 'plugin' },
  },
});
const ACCEPTED_FORM = 'six space-separated fields, seconds first: "second minute hour day-of-month month day-of-week"';

describe('ScheduledBackup schedules', () => {
  it("the generator's own ScheduledBackups pass (every engine, with Keycloak's database)", () => {
    let seen = 0;
    for (const engine of ['flux', 'argocd']) {
      const raw: RawAnswers = {
        provider: 'generic',
        's3-endpoint': 'https://s3.example.nl',
        preset: 'haven-plus',
        engine,
        'git-remote': 'https://gitlab.example.nl/gemeente/platform.git',
        clusters: ['acc', 'prod'],
        'keycloak-hostname': 'sso.{cluster}.gemeente.example.nl',
        databases: ['app', 'orders'],
      };
      const files = render(resolveAnswers(withDefaults(raw, ctx), ctx), catalog).files;
      const objects = files.entries().filter(([p]) => p.endsWith('.yaml')).flatMap(([file, text]) => objectsOf(text).map((object) => ({ object, file })));
      const backups = objects.filter((o) => o.object.kind === 'ScheduledBackup');
      expect(backups.map((b) => b.object.metadata!.name).sort()).toEqual(['app-nightly', 'keycloak-db-nightly', 'keycloak-db-nightly', 'orders-nightly']); // Keycloak's database: one per cluster (acc, prod)
      expect(checkScheduledBackups(objects)).toEqual([]);
      // The same objects with one crontab-style schedule are flagged (the rule saw them).
      const crontab = objects.map((o) => (o === backups[0] ? { ...o, object: { ...o.object, spec: { ...o.object.spec, schedule: '0 2 * * *' } } } : o));
      expect(checkScheduledBackups(crontab).map((f) => f.object)).toEqual([`ScheduledBackup ${backups[0].object.metadata!.namespace}/${backups[0].object.metadata!.name}`]);
      seen += backups.length;
    }
    expect(seen).toBe(8);
  });

  it('a five-field crontab line: the webhook accepts it with a warning and reads seconds first; the message gives the six-field form', () => {
    const findings = checkScheduledBackups([backup('0 2 * * *')]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f).toMatchObject({ severity: 'warning', check: 'schema', file: 'databases.yaml', object: 'ScheduledBackup databases/app-nightly', path: '/spec/schedule' });
    expect(f.message).toContain('has 5 fields');
    expect(f.message).toContain('Schedule parameter may not have the right number of arguments (usually six arguments are needed)');
    expect(f.message).toContain('second 0, minute 2, hour *, day-of-month *, month *');
    expect(f.message).toContain('write "0 0 2 * * *"');
    expect(f.message).toContain(ACCEPTED_FORM);
  });

  it('an out-of-range field is refused', () => {
    for (const [schedule, why] of [
      ['0 0 25 * * *', 'End of range (25) above maximum (23): 25'],
      ['60 0 2 * * *', 'End of range (60) above maximum (59): 60'],
      ['0 0 2 0 * *', 'Beginning of range (0) below minimum (1): 0'],
      ['0 0 2 * 13 *', 'End of range (13) above maximum (12): 13'],
      ['0 0 2 * * 7', 'End of range (7) above maximum (6): 7'],
      ['0 0 5-3 * * *', 'Beginning of range (5) beyond end of range (3): 5-3'],
      ['0 */0 * * * *', 'Step of range should be a positive number: */0'],
    ]) {
      const findings = checkScheduledBackups([backup(schedule)]);
      expect(findings, schedule).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 'error', check: 'schema', path: '/spec/schedule' });
      expect(findings[0].message).toContain(`schedule ${JSON.stringify(schedule)}: CloudNativePG's validating webhook refuses the ScheduledBackup: ${why}`);
      expect(findings[0].message).toContain(ACCEPTED_FORM);
    }
  });

  it('garbage is refused with the parser\'s reason and the accepted form', () => {
    for (const [schedule, why] of [
      ['nightly', 'Expected 5 to 6 fields, found 1: nightly'],
      ['every night at two', 'Expected 5 to 6 fields, found 4'],
      ['0 0 0 * * * 1996', 'Expected 5 to 6 fields, found 7'],
      ['', 'Empty spec string'],
      ['@nightly', 'Unrecognized descriptor: @nightly'],
      ['@every 1x', 'Failed to parse duration @every 1x: time: unknown unit "x" in duration "1x"'],
      ['@every Xm', 'Failed to parse duration'],
      [' @daily', 'Expected 5 to 6 fields, found 1'],
      ['0 0 two * * *', 'Failed to parse int from two: strconv.Atoi: parsing "two": invalid syntax'],
      ['0 0 -2 * * *', 'Failed to parse int from : strconv.Atoi'],
      ['0 0 2 * * mon--fri', 'Too many hyphens: mon--fri'],
      ['0 0 */-12 * * *', 'Negative number (-12) not allowed: -12'],
      ['0 0 *//2 * * *', 'Too many slashes: *//2'],
    ]) {
      const findings = checkScheduledBackups([backup(schedule)]);
      expect(findings, schedule).toHaveLength(1);
      expect(findings[0].severity, schedule).toBe('error');
      expect(findings[0].message, schedule).toContain(why);
      expect(findings[0].message).toContain(ACCEPTED_FORM);
    }
  });

  it('with the webhook bypassed (cnpg.io/validation: disabled) the controller still cannot parse it', () => {
    const [f] = checkScheduledBackups([backup('0 0 25 * * *', { 'cnpg.io/validation': 'disabled' })]);
    expect(f.severity).toBe('error');
    expect(f.message).toContain('no backup is ever taken');
  });

  it('descriptors are accepted with the webhook\'s warning (not six fields)', () => {
    const daily = checkScheduledBackups([backup('@daily')]);
    expect(daily).toHaveLength(1);
    expect(daily[0].severity).toBe('warning');
    expect(daily[0].message).toContain('it means "0 0 0 * * *"');
    const every = checkScheduledBackups([backup('@every 1h30m')]);
    expect(every[0].severity).toBe('warning');
    expect(every[0].message).toContain('it runs every 1h30m from when the operator schedules it');
    // Under a second is a second (cron.Every).
    expect(checkScheduledBackups([backup('@every 0s')])[0].message).toContain('every 1s');
  });

  it('six fields, names, lists, ranges, steps and ? pass silently; other kinds and non-strings are not judged here', () => {
    for (const schedule of ['0 0 0 * * *', '0 30 2 * * *', '*/15 * * * * *', '0 0 2 ? JAN-dec MON,wed,Fri', '0 0 1-5/2 1,15 * ?', '0 0 2 * * 0-6', '0 0 2 5/10 * *', '0\t0  2 * * *', '0 0 2 1,,15 * *', '0 0 +2 * * *']) {
      expect(checkScheduledBackups([backup(schedule)]), schedule).toEqual([]);
    }
    expect(checkScheduledBackups([backup('0 0 2 * * 8')])).toHaveLength(1);
    expect(checkScheduledBackups([backup(5)])).toEqual([]);
    expect(checkScheduledBackups([{ file: 'x.yaml', object: { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'x' }, spec: { schedule: '0 2 * * *' } } }])).toEqual([]);
  });

  it("robfig/cron v1.2.0's own parser cases (parser_test.go TestParse)", () => {
    expect(parseCnpgSchedule('* 5 * * * *')).toEqual({ ok: true, fields: 6 });
    expect(parseCnpgSchedule('* 5 j * * *')).toMatchObject({ ok: false, error: expect.stringContaining('Failed to parse int from') });
    expect(parseCnpgSchedule('@every 5m')).toMatchObject({ ok: true, every: 300_000_000_000n });
    expect(parseCnpgSchedule('@every Xm')).toMatchObject({ ok: false, error: expect.stringContaining('Failed to parse duration') });
    expect(parseCnpgSchedule('@yearly')).toMatchObject({ ok: true, descriptor: '@yearly' });
    expect(parseCnpgSchedule('@annually')).toMatchObject({ ok: true, descriptor: '@annually' });
    expect(parseCnpgSchedule('@unrecognized')).toMatchObject({ ok: false, error: expect.stringContaining('Unrecognized descriptor') });
    expect(parseCnpgSchedule('* * * *')).toMatchObject({ ok: false, error: expect.stringContaining('Expected 5 to 6 fields') });
    expect(parseCnpgSchedule('')).toMatchObject({ ok: false, error: 'Empty spec string' });
  });

  it("Go's time.ParseDuration", () => {
    expect(parseGoDuration('1h30m')).toBe(5_400_000_000_000n);
    expect(parseGoDuration('1.5h')).toBe(5_400_000_000_000n);
    expect(parseGoDuration('.5s')).toBe(500_000_000n);
    expect(parseGoDuration('-1m')).toBe(-60_000_000_000n);
    expect(parseGoDuration('0')).toBe(0n);
    expect(parseGoDuration('300ms')).toBe(300_000_000n);
    expect(parseGoDuration('2µs')).toBe(2_000n);
    for (const bad of ['', '1', '.s', 'h', '1hh', '9223372036854775808ns', '3000000h']) expect(() => parseGoDuration(bad), bad).toThrow(/time: /);
  });
});
