import {
  parseDuration,
  InputReader,
  InputError,
  shellJoin,
  describeError,
  CommandError
} from '../../packages/core/src/index.js';
import { readGateInputs } from '../../packages/health/src/index.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['10', 10_000]
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'soon', '10 parsecs', '5x', 's30'])('refuses %j naming the input', (text) => {
    expect(() => parseDuration(text, 'interval')).toThrow(/Input 'interval': .* is not a duration/);
  });
});

describe('InputReader', () => {
  const reader = (values: Record<string, string>) => new InputReader((n) => values[n] ?? '');

  it('reads typed values and names the input at fault', () => {
    const r = reader({ n: '3', b: 'true', d: '2m', l: 'a\nb, c\n# note\n', kv: 'web=img:1\napi = img:2' });
    expect(r.integer('n', { min: 1 })).toBe(3);
    expect(r.boolean('b')).toBe(true);
    expect(r.duration('d')).toBe(120_000);
    expect(r.list('l')).toEqual(['a', 'b', 'c']);
    expect([...r.keyValues('kv')]).toEqual([
      ['web', 'img:1'],
      ['api', 'img:2']
    ]);
    expect(() => r.integer('b')).toThrow(InputError);
    expect(() => r.string('missing', { required: true })).toThrow(/Input 'missing': is required/);
    expect(() => reader({ i: '-1s' }).duration('i', { positive: true })).toThrow(/Input 'i'.*negative/);
    expect(() => reader({ i: '0s' }).duration('i', { positive: true })).toThrow(/Input 'i'.*zero/);
    expect(() => reader({ s: 'fast' }).choice('s', ['recreate', 'rolling'])).toThrow(
      /use one of: recreate, rolling/
    );
    expect(() => reader({ kv: 'a=1\na=2' }).keyValues('kv')).toThrow(/given twice/);
  });
});

describe('shellJoin', () => {
  it('single-quotes anything a shell could read as code', () => {
    expect(shellJoin(['docker', 'run', '--name', 'web'])).toBe('docker run --name web');
    expect(shellJoin(['echo', "it's; rm -rf / $(x)"])).toBe(`echo 'it'\\''s; rm -rf / $(x)'`);
    expect(shellJoin(['printf', ''])).toBe(`printf ''`);
  });
});

describe('errors', () => {
  it('a command error names the argv, exit code and stderr tail', () => {
    const e = new CommandError(['docker', 'pull', 'x'], 1, '', 'manifest unknown\n', {
      where: 'local',
      hint: 'check the tag'
    });
    expect(describeError(e)).toBe(
      'Command `docker pull x` on local exited 1:\nmanifest unknown\nNext: check the tag'
    );
  });
});

describe('durations are capped in every action (issue 28)', () => {
  const reader = (values: Record<string, string>) => new InputReader((n) => values[n] ?? '');

  it('a duration past 24h is refused naming the input: 600h would overflow the timer and fire at once', () => {
    expect(() => reader({ 'probe-timeout': '600h' }).duration('probe-timeout')).toThrow(
      /Input 'probe-timeout': 600h is longer than 24h/
    );
    expect(reader({ t: '24h' }).duration('t')).toBe(86_400_000);
  });

  it('health-gate and the gate inputs of deploy-compose refuse it', () => {
    const gate = (values: Record<string, string>) => () => readGateInputs(reader(values));
    expect(gate({ url: 'http://127.0.0.1/up', 'probe-timeout': '600h' })).toThrow(/probe-timeout/);
    expect(gate({ url: 'http://127.0.0.1/up', timeout: '25h' })).toThrow(/timeout/);
    expect(() =>
      readGateInputs(reader({ 'health-url': 'http://127.0.0.1/up', 'health-interval': '600h' }), {
        prefix: 'health-'
      })
    ).toThrow(/health-interval/);
  });
});
