// Crash-safety harness: runs `warren server` as a child process on a data directory, so that a test can
// SIGKILL it (a real crash: no close, no flush, nothing in the page cache is lost, but everything the
// process had buffered is), restart it on the same directory and look at what came back. Also seeded
// randomness and self-checking message bodies.
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import amqp from 'amqplib'

export const WARREN_BIN = fileURLToPath(new URL('../../src/bin/warren.js', import.meta.url))

/** One pino log line of the child, parsed. */
export interface LogLine {
  level: number
  msg: string
  [key: string]: unknown
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** Every child still running, so that a failing test leaves none behind (see killAll). */
const live = new Set<WarrenProcess>()

/** SIGKILLs every broker child still running and waits for them to go. */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((w) => w.crash()))
}

export class WarrenProcess {
  readonly logs: LogLine[] = []
  /** stderr and any stdout line that is not JSON. */
  readonly otherOutput: string[] = []
  readonly exited: Promise<Exit>
  url = ''
  port = 0
  /** http://host:port/ of the management API (set once listening). */
  httpUrl = ''
  private exit: Exit | undefined

  constructor(
    readonly proc: ChildProcess,
    readonly dataDir: string,
  ) {
    live.add(this)
    // 'close' rather than 'exit': it comes once the output has been read too, so that the transcript
    // of a process that failed is complete.
    this.exited = new Promise((resolve) => {
      proc.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
        live.delete(this)
        this.exit = { code, signal }
        resolve(this.exit)
      })
    })
    let pending = ''
    proc.stdout?.setEncoding('utf8')
    proc.stdout?.on('data', (chunk: string) => {
      pending += chunk
      let nl: number
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl)
        pending = pending.slice(nl + 1)
        try {
          this.logs.push(JSON.parse(line) as LogLine)
        } catch {
          this.otherOutput.push(line)
        }
      }
    })
    proc.stderr?.setEncoding('utf8')
    proc.stderr?.on('data', (chunk: string) => this.otherOutput.push(chunk))
  }

  get running(): boolean {
    return this.exit === undefined
  }

  /** SIGKILL: the process gets no chance to write anything. Resolves once it is gone. */
  async crash(): Promise<Exit> {
    if (this.running) this.proc.kill('SIGKILL')
    return this.exited
  }

  /** SIGTERM: a clean shutdown. Resolves with how the process ended. */
  async stop(timeoutMs = 15_000): Promise<Exit> {
    if (this.running) this.proc.kill('SIGTERM')
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }

  /** Log lines at warn level or above. */
  get warnings(): LogLine[] {
    return this.logs.filter((l) => l.level >= 40)
  }

  /** Everything the process printed, for a failure message. */
  transcript(): string {
    return [...this.logs.map((l) => JSON.stringify(l)), ...this.otherOutput].join('\n')
  }

  /** A management API call as guest; returns the status and the parsed body (if any). */
  async http(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const res = await fetch(new URL(path, this.httpUrl), {
      method,
      headers: {
        authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const text = await res.text()
    return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) }
  }

  /** Resolves once the AMQP and HTTP listeners are up (url, port, httpUrl set); rejects if the process exits first. */
  async listening(timeoutMs = 60_000): Promise<void> {
    const started = Date.now()
    for (;;) {
      const amqpLine = this.logs.find((l) => /^AMQP 0-9-1 listener started on /.test(l.msg))
      const httpLine = this.logs.find((l) => /^HTTP API listener started on /.test(l.msg))
      if (amqpLine && httpLine) {
        const m = /started on (.+):(\d+)$/.exec(amqpLine.msg) as RegExpExecArray
        this.port = Number(m[2])
        this.url = `amqp://guest:guest@${m[1]}:${this.port}/`
        const h = /started on (.+):(\d+)$/.exec(httpLine.msg) as RegExpExecArray
        this.httpUrl = `http://${h[1]}:${h[2]}/`
        return
      }
      if (!this.running || Date.now() - started > timeoutMs) {
        const how = this.running ? `no listener after ${timeoutMs} ms` : 'exited'
        const exit = await this.crash()
        throw new Error(
          `warren did not start on ${this.dataDir} (${how}: ${JSON.stringify(exit)}):\n${this.transcript()}`,
        )
      }
      await sleep(10)
    }
  }

  /** Opens a connection (to vhost, default '/') whose errors (the broker dying under it) are ignored. */
  async connect(vhost = '/'): Promise<amqp.ChannelModel> {
    const conn = await amqp.connect(vhost === '/' ? this.url : `${this.url}${encodeURIComponent(vhost)}`)
    conn.on('error', () => undefined)
    return conn
  }
}

export interface SpawnOptions {
  /** Extra node options before the script (--import of a preload, say). */
  nodeArgs?: readonly string[]
  /** Extra environment variables. */
  env?: Readonly<Record<string, string>>
  /** Extra arguments of `warren server` (a Stream-protocol port, say). */
  args?: readonly string[]
}

/** Spawns `warren server` on dataDir with free ports (127.0.0.1 only), without waiting for it. */
export function spawnWarren(dataDir: string, opts: SpawnOptions = {}): WarrenProcess {
  const proc = spawn(
    process.execPath,
    [
      ...(opts.nodeArgs ?? []),
      WARREN_BIN,
      'server',
      '--amqp-port',
      '0',
      '--http-port',
      '0',
      '--bind',
      '127.0.0.1',
      '--data-dir',
      dataDir,
      '--log-level',
      'info',
      ...(opts.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } },
  )
  return new WarrenProcess(proc, dataDir)
}

/**
 * Starts `warren server` on dataDir and resolves once its listeners are up. Rejects, with whatever the
 * process printed, if it exits first or takes longer than 60 s (a busy machine can be very slow).
 */
export async function startWarren(dataDir: string, opts: SpawnOptions = {}): Promise<WarrenProcess> {
  const w = spawnWarren(dataDir, opts)
  await w.listening()
  return w
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** A temporary directory, removed by the returned cleanup unless WARREN_KEEP_DATA is set. */
export async function tempDataDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `warren-${prefix}-`))
  return {
    dir,
    cleanup: async () => {
      if (!process.env['WARREN_KEEP_DATA']) await rm(dir, { recursive: true, force: true })
    },
  }
}

// ---- seeded randomness ----

/** mulberry32: small, fast, good enough to pick delays and sizes reproducibly. */
export class Random {
  private s: number
  constructor(readonly seed: number) {
    this.s = seed >>> 0
  }
  /** [0, 1) */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)] as T
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  /** Bytes derived from the generator (not cryptographic; cheap enough for large bodies). */
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n)
    let i = 0
    for (; i + 4 <= n; i += 4) b.writeUInt32LE((this.next() * 4294967296) >>> 0, i)
    for (; i < n; i++) b[i] = (this.next() * 256) | 0
    return b
  }
}

/** The seed from WARREN_CRASH_SEED, or a fresh one. */
export function seedFromEnv(): number {
  const s = process.env['WARREN_CRASH_SEED']
  return s !== undefined && s !== '' ? Number(s) >>> 0 : (Math.random() * 2 ** 32) >>> 0
}

// ---- self-checking messages ----

const SUM_HEADER = 'x-sha256'

/** A body that starts with the id and carries its SHA-256 in a header, so any damage shows. */
export function makeMessage(
  id: string,
  size: number,
  rnd: Random,
): { body: Buffer; options: amqp.Options.Publish } {
  const prefix = Buffer.from(`${id}|`)
  const body = Buffer.concat([prefix, rnd.bytes(Math.max(0, size - prefix.length))])
  return {
    body,
    options: {
      persistent: true,
      messageId: id,
      headers: { [SUM_HEADER]: createHash('sha256').update(body).digest('hex') },
    },
  }
}

/** Returns the message's id, or throws when its body, id or checksum do not agree. */
export function checkMessage(m: amqp.Message): string {
  const id = m.properties.messageId as unknown
  if (typeof id !== 'string')
    throw new Error(`message without a message id: ${m.content.subarray(0, 40).toString()}`)
  const sum = (m.properties.headers as Record<string, unknown> | undefined)?.[SUM_HEADER]
  const actual = createHash('sha256').update(m.content).digest('hex')
  if (sum !== actual) throw new Error(`message ${id}: body checksum mismatch (${m.content.length} bytes)`)
  if (!m.content.subarray(0, id.length + 1).equals(Buffer.from(`${id}|`)))
    throw new Error(`message ${id}: body belongs to another message`)
  return id
}

export interface Drained {
  queue: string
  id: string
  redelivered: boolean
  message: amqp.Message
}

/**
 * Takes every message of the queue with a no-ack consumer (count from queue.declare-ok, since nothing else
 * consumes) and returns them in delivery order. Fails if they do not all arrive within timeoutMs.
 */
export async function drainQueue(ch: amqp.Channel, queue: string, timeoutMs = 20_000): Promise<Drained[]> {
  const { messageCount } = await ch.checkQueue(queue)
  const out: Drained[] = []
  if (messageCount === 0) return out
  let done!: () => void
  const all = new Promise<void>((r) => (done = r))
  const { consumerTag } = await ch.consume(
    queue,
    (m) => {
      if (!m) return
      out.push({ queue, id: String(m.properties.messageId), redelivered: m.fields.redelivered, message: m })
      if (out.length === messageCount) done()
    },
    { noAck: true },
  )
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    all,
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`queue ${queue}: ${out.length} of ${messageCount} messages arrived`)),
        timeoutMs,
      )
    }),
  ]).finally(() => clearTimeout(timer))
  await ch.cancel(consumerTag)
  return out
}
