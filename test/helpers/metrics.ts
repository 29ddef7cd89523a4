import assert from 'node:assert/strict';
import { TEST_KEY } from './server.ts';

/** One parsed exposition: every sample by `name{label="value",...}` (labels sorted), plus each family's TYPE. */
export class Scrape {
  readonly samples = new Map<string, number>();
  readonly types = new Map<string, string>();

  constructor(readonly text: string) {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) {
        this.types.set(type[1] as string, type[2] as string);
        continue;
      }
      if (line.startsWith('#')) continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      assert.ok(m, `not a Prometheus sample line: ${line}`);
      const labels = parseLabels(m[2] ?? '');
      this.samples.set(sampleKey(m[1] as string, labels), Number(m[3]));
    }
  }

  /** The sample's value; fails the test if the series is absent. */
  get(name: string, labels: Record<string, string> = {}): number {
    const value = this.samples.get(sampleKey(name, labels));
    assert.ok(value !== undefined, `no sample ${sampleKey(name, labels)} in the scrape`);
    return value;
  }

  /** The sample's value, or 0 when the series does not exist (yet). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.samples.get(sampleKey(name, labels)) ?? 0;
  }

  /** Every sample whose name starts with `prefix`, with its labels. */
  series(prefix: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
    const out = [];
    for (const [key, value] of this.samples) {
      const brace = key.indexOf('{');
      const name = brace < 0 ? key : key.slice(0, brace);
      if (name.startsWith(prefix)) out.push({ name, labels: brace < 0 ? {} : parseLabels(key.slice(brace + 1, -1)), value });
    }
    return out;
  }
}

function parseLabels(body: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g;
  let consumed = 0;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    labels[m[1] as string] = (m[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    consumed += m[0].length;
  }
  assert.equal(consumed, body.length, `malformed labels: {${body}}`);
  return labels;
}

function sampleKey(name: string, labels: Record<string, string>): string {
  const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? name : `${name}{${entries.map(([k, v]) => `${k}="${v}"`).join(',')}}`;
}

export const basicAuth = (key = TEST_KEY): string => `Basic ${Buffer.from(key).toString('base64')}`;

/** GET /metrics with an API key (Basic auth) and parses it. */
export async function scrape(port: number, authorization = basicAuth()): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization } });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return new Scrape(await res.text());
}
