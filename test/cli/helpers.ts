// `warren ctl` against an in-process Warren (AMQP and HTTP on free ports): `ctl(...argv)` runs the CLI
// in-process through runCtl with --url pointing at the broker, collecting what it prints.
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { after, before } from 'node:test'
import amqp from 'amqplib'
import { runCtl, type CtlIo } from '../../src/cli/ctl/index.js'
import { type RunningBroker, startBroker } from '../../src/index.js'

export interface CtlResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface CtlRun {
  /** Input for `import_definitions -`. */
  stdin?: string
  /** Extra environment (WARREN_HTTP_URL); nothing is read from process.env. */
  env?: Record<string, string>
  /** Leave out the --url of the test broker. */
  noUrl?: boolean
}

/** Runs the CLI in-process with its output collected. */
export async function runCli(argv: readonly string[], o: CtlRun = {}): Promise<CtlResult> {
  let stdout = ''
  let stderr = ''
  const io: CtlIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: o.stdin === undefined ? undefined : Readable.from([Buffer.from(o.stdin)]),
    env: o.env ?? {},
  }
  const code = await runCtl(argv, io)
  return { code, stdout, stderr }
}

export interface Warren {
  readonly broker: RunningBroker
  readonly httpUrl: string
  /** `warren ctl --url <broker> ...argv`. */
  ctl(...argv: string[]): Promise<CtlResult>
  ctlWith(o: CtlRun, ...argv: string[]): Promise<CtlResult>
  /** An AMQP connection to `vhost`, closed after the file's tests. */
  connect(vhost?: string, name?: string): Promise<amqp.ChannelModel>
  /**
   * Runs `fn` once the broker is up, in registration order. (Node 20 starts a top-level `before` hook as
   * soon as it is registered, so a test file's own hook could run before the broker is started.)
   */
  setup(fn: () => Promise<void>): void
}

export function useWarren(): Warren {
  const state: { broker?: RunningBroker } = {}
  const open = new Set<amqp.ChannelModel>()
  const setups: Array<() => Promise<void>> = []
  before(async () => {
    await new Promise((resolve) => setImmediate(resolve)) // let the test file register its setups first
    state.broker = await startBroker({ amqpPort: 0, httpPort: 0, bind: '127.0.0.1', logLevel: 'silent' })
    for (const fn of setups) await fn()
  })
  after(async () => {
    await Promise.all([...open].map((c) => c.close().catch(() => {})))
    await state.broker?.close()
  })
  const w: Warren = {
    get broker() {
      if (!state.broker) throw new Error('broker not started yet')
      return state.broker
    },
    get httpUrl() {
      return w.broker.httpUrl
    },
    ctl: (...argv) => w.ctlWith({}, ...argv),
    ctlWith: (o, ...argv) => runCli(o.noUrl ? argv : ['--url', w.httpUrl, ...argv], o),
    async connect(vhost = '/', name?: string) {
      const props = name === undefined ? {} : { connection_name: name }
      const conn = await amqp.connect(w.broker.amqpUrl + encodeURIComponent(vhost), {
        clientProperties: props,
      })
      conn.on('error', () => {})
      open.add(conn)
      conn.on('close', () => open.delete(conn))
      return conn
    },
    setup: (fn) => void setups.push(fn),
  }
  return w
}

/** A name no other test uses. */
export const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`

/** Creates a vhost through the CLI itself (guest gets full permissions there, as its creator). */
export async function scratchVhost(w: Warren, prefix = 'ctl'): Promise<string> {
  const name = unique(prefix)
  const r = await w.ctl('add_vhost', name)
  if (r.code !== 0) throw new Error(`add_vhost ${name}: ${r.stderr}`)
  return name
}

/** Lines of the output, without the final newline's empty string. */
export const lines = (s: string): string[] => s.replace(/\n$/, '').split('\n')

export { amqp }
