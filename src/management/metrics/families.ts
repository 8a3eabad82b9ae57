// Metric families as rabbitmq_prometheus groups them (the `family` names of /metrics/detailed): each
// lists its metrics and yields one row per object it covers (a queue, a channel, a connection; one row
// for the node). /metrics adds the rows of per-object families up into one unlabelled sample per metric;
// /metrics/per-object and /metrics/detailed write every row with its labels.
import type { ManagementContext } from '../context.js'
import type { Exposition, Labels, MetricKind } from './exposition.js'

export interface Metric {
  readonly name: string
  readonly kind: MetricKind
  readonly help: string
}

/** One object's samples: its labels and one value per metric of its family (undefined: no sample). */
export interface Row {
  readonly labels: Labels | undefined
  readonly values: ReadonlyArray<number | undefined>
}

/** The vhosts a detailed scrape asked for (`vhost=`); undefined: all. */
export type VhostFilter = ReadonlySet<string> | undefined

export interface Family {
  readonly metrics: readonly Metric[]
  /** Rows are objects (summed by /metrics); otherwise they are written as they are everywhere. */
  readonly perObject: boolean
  /** Queue families only: `vhost=` limits them (RabbitMQ filters no other family). */
  readonly vhostFiltered: boolean
  rows(ctx: ManagementContext, vhosts: VhostFilter): readonly Row[]
}

type Value<T> = (o: T) => number | undefined

/** A metric of a family: name without prefix, type, HELP (RabbitMQ's wording), and how to read it. */
export type MetricSpec<T> = readonly [name: string, kind: MetricKind, help: string, value: Value<T>]

export interface FamilySpec<T> {
  readonly perObject: boolean
  readonly vhostFiltered?: boolean
  /** The objects with their labels. */
  objects(ctx: ManagementContext, vhosts: VhostFilter): Iterable<readonly [Labels | undefined, T]>
  readonly metrics: ReadonlyArray<MetricSpec<T>>
}

export function defineFamily<T>(spec: FamilySpec<T>): Family {
  return {
    metrics: spec.metrics.map(([name, kind, help]) => ({ name, kind, help })),
    perObject: spec.perObject,
    vhostFiltered: spec.vhostFiltered ?? false,
    rows: (ctx, vhosts) => {
      const rows: Row[] = []
      for (const [labels, o] of spec.objects(ctx, vhosts))
        rows.push({ labels, values: spec.metrics.map((m) => m[3](o)) })
      return rows
    },
  }
}

/** A node-wide family: one unlabelled row. */
export function nodeFamily<T>(
  read: (ctx: ManagementContext) => T,
  metrics: ReadonlyArray<MetricSpec<T>>,
): Family {
  return defineFamily({ perObject: false, objects: (ctx) => [[undefined, read(ctx)]], metrics })
}

/**
 * Writes a family under `prefix`; `aggregate` sums per-object rows into one unlabelled sample, 0 when
 * there are no objects (as RabbitMQ's aggregated /metrics does).
 */
export function writeFamily(
  out: Exposition,
  prefix: string,
  f: Family,
  rows: readonly Row[],
  aggregate: boolean,
): void {
  const written = aggregate && f.perObject ? [sumRows(rows, f.metrics.length)] : rows
  f.metrics.forEach((m, i) => {
    out.declare(prefix + m.name, m.kind, m.help)
    for (const r of written) {
      const v = r.values[i]
      if (v !== undefined) out.sample(prefix + m.name, v, r.labels)
    }
  })
}

function sumRows(rows: readonly Row[], width: number): Row {
  const values = new Array<number>(width).fill(0)
  for (const r of rows) r.values.forEach((v, i) => (values[i] = (values[i] ?? 0) + (v ?? 0)))
  return { labels: undefined, values }
}
