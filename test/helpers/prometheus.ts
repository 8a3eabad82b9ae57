// Reading what a Prometheus endpoint serves (the text format, version 0.0.4): # TYPE and # HELP by metric
// name, and the samples with their labels.
import assert from 'node:assert/strict'

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface Scrape {
  readonly text: string
  readonly types: ReadonlyMap<string, string>
  readonly helps: ReadonlyMap<string, string>
  readonly samples: readonly Sample[]
}

export function parseExposition(text: string): Scrape {
  const types = new Map<string, string>()
  const helps = new Map<string, string>()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null
    if ((m = /^# TYPE (\S+) (\S+)$/.exec(line))) types.set(m[1] as string, m[2] as string)
    else if ((m = /^# HELP (\S+) (.*)$/.exec(line))) helps.set(m[1] as string, m[2] as string)
    else if ((m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line))) {
      const labels: Record<string, string> = {}
      for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
        labels[l[1] as string] = l[2] as string
      samples.push({ name: m[1] as string, labels, value: Number(m[3]) })
    } else assert.equal(line, '', `not a line of the text format: ${line}`)
  }
  return { text, types, helps, samples }
}

/** GET a Prometheus endpoint: 200, the text format's content type; parsed. */
export async function scrape(port: number | undefined, path = '/metrics'): Promise<Scrape> {
  // A broker reports no Prometheus port only when the default one was taken; tests start on free ports.
  if (port === undefined) throw new Error('the broker has no Prometheus listener')
  const res = await fetch(`http://127.0.0.1:${port}${path}`)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  return parseExposition(await res.text())
}

/** The samples of `name` whose labels include `labels`. */
export function samplesOf(s: Scrape, name: string, labels: Record<string, string> = {}): Sample[] {
  return s.samples.filter(
    (x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
  )
}

/** The one sample of `name` with `labels` (among others). */
export function valueOf(s: Scrape, name: string, labels: Record<string, string> = {}): number {
  const found = samplesOf(s, name, labels)
  assert.equal(found.length, 1, `${name}${JSON.stringify(labels)}: ${found.length} samples`)
  return (found[0] as Sample).value
}

/** Label names of every sample of `name`, sorted. */
export function labelNames(s: Scrape, name: string): string[] {
  return [...new Set(samplesOf(s, name).flatMap((x) => Object.keys(x.labels)))].sort()
}
