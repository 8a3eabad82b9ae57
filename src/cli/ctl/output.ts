// Output in rabbitmqctl 3.10's formats. Table: informational lines ("Listing queues for vhost / ...")
// unless -q, a tab-separated header unless -s or --no-table-headers, then one tab-separated row per
// item; AMQP tables print as Erlang-ish lists (`[{"x-max-length",10}]`), tags as `[a, b]`. JSON: no
// informational lines, items streamed as `[`, `{...}`, `,{...}`, `]`, AMQP tables as [key, type, value]
// triples, as `rabbitmqctl --formatter json` prints them.

export interface Writer {
  write(chunk: string): unknown
}

/** How a column's values print; 'plain' values print as they are. */
export type Kind = 'plain' | 'table' | 'list' | 'protocol' | 'nodes'

export interface OutputMode {
  readonly json: boolean
  /** -q: no informational lines. */
  readonly quiet: boolean
  /** -s: no informational lines and no header row. */
  readonly silent: boolean
  /** --no-table-headers. */
  readonly headers: boolean
}

export interface Column {
  readonly name: string
  readonly kind: Kind
}

/**
 * What an empty listing prints: nothing at all (the streamed listings: queues, exchanges, ...) or, as
 * list_permissions and list_policies do, an empty line (JSON: `[]`).
 */
export type WhenEmpty = 'nothing' | 'blank'

export class Output {
  constructor(
    private readonly stdout: Writer,
    readonly mode: OutputMode,
  ) {}

  /** An informational line: the banner before the work, hidden by -q, -s and --formatter json. */
  info(line: string): void {
    if (!this.mode.quiet && !this.mode.silent && !this.mode.json) this.stdout.write(line + '\n')
  }

  /** A result line, printed in every mode but JSON. */
  result(line: string): void {
    if (!this.mode.json) this.stdout.write(line + '\n')
  }

  /** Writes `s` as it is. */
  raw(s: string): void {
    this.stdout.write(s)
  }

  /** One JSON document on one line. */
  json(value: unknown): void {
    this.stdout.write(JSON.stringify(value) + '\n')
  }

  /** Rows of values in column order. */
  rows(columns: readonly Column[], rows: readonly (readonly unknown[])[], whenEmpty: WhenEmpty): void {
    if (this.mode.json) return this.jsonRows(columns, rows, whenEmpty)
    if (rows.length === 0) {
      if (whenEmpty === 'blank') this.stdout.write('\n')
      return
    }
    const lines: string[] = []
    if (this.mode.headers && !this.mode.silent) lines.push(columns.map((c) => c.name).join('\t'))
    for (const row of rows) lines.push(columns.map((c, i) => cell(row[i], c.kind)).join('\t'))
    this.stdout.write(lines.join('\n') + '\n')
  }

  private jsonRows(
    columns: readonly Column[],
    rows: readonly (readonly unknown[])[],
    whenEmpty: WhenEmpty,
  ): void {
    if (rows.length === 0) return void this.stdout.write(whenEmpty === 'blank' ? '[]\n' : '[\n]\n')
    const items = rows.map((row, n) => {
      const item: Record<string, unknown> = {}
      columns.forEach((c, i) => (item[c.name] = jsonValue(row[i], c.kind)))
      return (n === 0 ? '' : ',') + JSON.stringify(item)
    })
    this.stdout.write(`[\n${items.join('\n')}\n]\n`)
  }
}

/** A value as a table cell. */
export function cell(v: unknown, kind: Kind): string {
  if (v === undefined || v === null) return ''
  switch (kind) {
    case 'table':
      return erlangTable(v)
    case 'list':
      return Array.isArray(v) ? `[${v.map(String).join(', ')}]` : String(v)
    case 'protocol':
      return protocolTuple(v) ?? String(v)
    case 'nodes':
      return `[${Object.entries(v as object)
        .map(([node, state]) => `{${node}, ${String(state)}}`)
        .join(',')}]`
    case 'plain':
      return typeof v === 'object' ? JSON.stringify(v) : String(v)
  }
}

/** A value as `--formatter json` prints it: missing values are "", AMQP tables are typed triples. */
export function jsonValue(v: unknown, kind: Kind): unknown {
  if (v === undefined || v === null) return ''
  switch (kind) {
    case 'table':
      return typeof v === 'object' && !Array.isArray(v) ? typedTable(v as Record<string, unknown>) : v
    case 'protocol': {
      const m = /^AMQP (\d+)-(\d+)-(\d+)$/.exec(String(v))
      return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : v
    }
    case 'list':
    case 'nodes':
    case 'plain':
      return v
  }
}

/** `{"x-max-length":10,"x-queue-type":"classic"}` as `[{"x-max-length",10},{"x-queue-type","classic"}]`. */
function erlangTable(v: unknown): string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return erlangValue(v)
  return `[${Object.entries(v)
    .map(([k, x]) => `{${JSON.stringify(k)},${erlangValue(x)}}`)
    .join(',')}]`
}

function erlangValue(v: unknown): string {
  if (v === null || v === undefined) return 'undefined'
  if (typeof v === 'string') return JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(erlangValue).join(',')}]`
  if (typeof v === 'object') return erlangTable(v)
  return String(v)
}

/** "AMQP 0-9-1" as RabbitMQ prints the protocol of a connection: {0,9,1}. */
function protocolTuple(v: unknown): string | undefined {
  const m = /^AMQP (\d+)-(\d+)-(\d+)$/.exec(String(v))
  return m ? `{${m[1]},${m[2]},${m[3]}}` : undefined
}

/**
 * AMQP field table as [name, type, value] triples. The HTTP API's JSON has lost the wire types, so
 * they are inferred: whole numbers are `long`, other numbers `double`.
 */
function typedTable(t: Record<string, unknown>): unknown[] {
  return Object.entries(t).map(([k, v]) => [k, ...typedValue(v)])
}

function typedValue(v: unknown): [string, unknown] {
  if (typeof v === 'string') return ['longstr', v]
  if (typeof v === 'boolean') return ['bool', v]
  if (typeof v === 'number') return [Number.isInteger(v) ? 'long' : 'double', v]
  if (v === null || v === undefined) return ['void', 'undefined']
  if (Array.isArray(v)) return ['array', v.map((x) => typedValue(x))]
  return ['table', typedTable(v as Record<string, unknown>)]
}
