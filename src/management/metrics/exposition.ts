// The Prometheus text exposition format (version 0.0.4): one `# TYPE` and `# HELP` per metric name, then
// its samples. Metrics of one name must be contiguous, so callers emit a name's samples together.
export type MetricKind = 'gauge' | 'counter' | 'untyped'

export type Labels = Readonly<Record<string, string>>

export class Exposition {
  private readonly lines: string[] = []
  private readonly declared = new Set<string>()

  /** Declares the metric (once) and adds one sample. */
  metric(name: string, kind: MetricKind, help: string, value: number, labels?: Labels): void {
    this.declare(name, kind, help)
    this.sample(name, value, labels)
  }

  /** Declares a metric with no samples yet (RabbitMQ lists per-object families even when empty). */
  declare(name: string, kind: MetricKind, help: string): void {
    if (this.declared.has(name)) return
    this.declared.add(name)
    this.lines.push(`# TYPE ${name} ${kind}`, `# HELP ${name} ${help}`)
  }

  sample(name: string, value: number, labels?: Labels): void {
    const l = labels
      ? `{${Object.entries(labels)
          .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
          .join(',')}}`
      : ''
    this.lines.push(`${name}${l} ${value}`)
  }

  toString(): string {
    return this.lines.join('\n') + '\n'
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}
