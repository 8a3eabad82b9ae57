// What a `warren ctl` command runs with: the HTTP API, the output, the -p vhost, and the few helpers
// several commands share. A command is a plain record (name, arguments, options, run) so that the
// program in program.ts can build commander commands from the tables in commands/.
import { CtlError, EXIT } from './errors.js'
import { type HttpApi, seg } from './http.js'
import type { Output, Writer } from './output.js'

export interface CtlIo {
  readonly stdout: Writer
  readonly stderr: Writer
  /** Read by `import_definitions -`; the bin passes process.stdin. */
  readonly stdin?: AsyncIterable<string | Buffer> | undefined
  /** WARREN_HTTP_URL is read from here; the bin passes process.env. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  /** Whether stdout is a terminal (status prints its section titles in bold there, as rabbitmqctl does). */
  readonly isTTY?: boolean | undefined
}

export interface CtlCommand {
  readonly name: string
  readonly summary: string
  /** commander argument syntax, e.g. '<username>' or '[columns...]'. */
  readonly args?: readonly string[]
  /** Command-specific options as [flags, description], e.g. ['-e, --if-empty', '...']. */
  readonly options?: readonly (readonly [string, string])[]
  run(c: Ctx, args: readonly string[], opts: Readonly<Record<string, unknown>>): Promise<void>
}

export class Ctx {
  private node: string | undefined

  constructor(
    readonly api: HttpApi,
    readonly out: Output,
    readonly io: CtlIo,
    /** The -p/--vhost value ('/' by default). */
    readonly vhost: string,
    /** The -t/--timeout value in seconds. */
    readonly timeoutSecs: number,
  ) {}

  /** The broker's node name, as the JSON results of commands carry it. */
  async nodeName(): Promise<string> {
    if (this.node === undefined) {
      const overview = (await this.api.get('/api/overview')) as { node?: unknown } | undefined
      this.node = typeof overview?.node === 'string' ? overview.node : 'unknown'
    }
    return this.node
  }

  /** Under --formatter json, the command's result document: `{"node": ..., "result": "ok"}` by default. */
  async finish(json?: Record<string, unknown>): Promise<void> {
    if (!this.out.mode.json) return
    this.out.json(json ?? { node: await this.nodeName(), result: 'ok' })
  }

  async vhostExists(name: string): Promise<boolean> {
    const path = `/api/vhosts/${seg(name)}`
    const r = await this.api.call('GET', path)
    if (r.status === 200) return true
    if (r.status === 404) return false
    throw this.api.unexpected('GET', path, r)
  }

  /** Fails with rabbitmqctl's message when the vhost does not exist. */
  async requireVhost(name: string): Promise<void> {
    if (!(await this.vhostExists(name))) throw noSuchVhost(name)
  }
}

/** rabbitmqctl 3.10's wording (list_permissions, delete_vhost): no "Error:" line, exit 65. */
export const noSuchVhost = (name: string): CtlError =>
  new CtlError(`Virtual host '${name}' does not exist`, EXIT.dataErr)

export const noSuchUser = (name: string): CtlError =>
  new CtlError(`Error:\nUser "${name}" does not exist`, EXIT.noUser)
