// export_definitions and import_definitions: GET and POST /api/definitions, to or from a file or '-'
// (stdout, stdin). The JSON is passed through as the API gives and takes it.
import { readFile, stat, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Ctx, CtlCommand } from '../context.js'
import { brokerError, CtlError, EXIT } from '../errors.js'
import { reasonOf } from '../http.js'

const badArgument = (what: string): CtlError =>
  new CtlError(`Error (argument validation): Bad argument: ${what}`, EXIT.dataErr)

function checkFormat(format: unknown): void {
  if (format !== undefined && format !== 'json') {
    throw new CtlError(
      `Error (argument validation): unsupported --format '${String(format)}' (only json)`,
      EXIT.usage,
    )
  }
}

async function requireDirectory(file: string): Promise<void> {
  const dir = dirname(file)
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  )
  if (!isDir) throw badArgument(`Directory ${dir} does not exist`)
}

async function readInput(c: Ctx, file: string): Promise<string> {
  if (file === '-') {
    if (!c.io.stdin) throw badArgument('no standard input to read definitions from')
    const chunks: Buffer[] = []
    for await (const chunk of c.io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
    return Buffer.concat(chunks).toString('utf8')
  }
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw badArgument(`File ${file} does not exist`)
    throw badArgument(`File ${file} cannot be read: ${(err as Error).message}`)
  }
}

function checkJson(text: string): void {
  try {
    JSON.parse(text)
  } catch (err) {
    throw brokerError(
      `Failed to deserialise input (format: JSON) (error: ${(err as Error).message})`,
      EXIT.dataErr,
    )
  }
}

export const definitionCommands: readonly CtlCommand[] = [
  {
    name: 'export_definitions',
    summary: 'exports definitions (users, vhosts, permissions, queues, exchanges, bindings) as JSON',
    args: ['<file>'],
    options: [['--format <format>', 'json (the only format supported)']],
    run: async (c, [file = ''], opts) => {
      checkFormat(opts['format'])
      if (file !== '-') {
        await requireDirectory(file)
        c.out.info(`Exporting definitions in JSON to a file at "${file}" ...`)
      }
      const r = await c.api.call('GET', '/api/definitions')
      if (r.status !== 200) throw c.api.unexpected('GET', '/api/definitions', r)
      // As rabbitmqctl does: the document as it is, without a trailing newline.
      if (file === '-') return c.out.raw(r.text)
      await writeFile(file, r.text)
      await c.finish()
    },
  },
  {
    name: 'import_definitions',
    summary: "imports definitions in JSON from a file or '-' (standard input)",
    args: ['<file>'],
    options: [['--format <format>', 'json (the only format supported)']],
    run: async (c, [file = ''], opts) => {
      checkFormat(opts['format'])
      const text = await readInput(c, file)
      c.out.info(
        file === '-'
          ? 'Importing definitions in JSON from standard input ...'
          : `Importing definitions in JSON from a file at "${file}" ...`,
      )
      checkJson(text)
      const r = await c.api.call('POST', '/api/definitions', { body: text })
      if (r.status === 400) throw brokerError(reasonOf(r), EXIT.dataErr)
      if (r.status < 200 || r.status > 204) throw c.api.unexpected('POST', '/api/definitions', r)
      c.out.info('Successfully imported definitions.')
      await c.finish()
    },
  },
]
