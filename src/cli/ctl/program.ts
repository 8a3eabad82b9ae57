// The `warren ctl` program: rabbitmqctl's global options (accepted before or after the command name),
// then one commander command per entry of the tables in commands/. Usage errors print as rabbitmqctl's
// "Error (argument validation): ..." and exit 64.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { type CtlCommand, type CtlIo, Ctx } from './context.js'
import { accessCommands } from './commands/access.js'
import { clusterCommands } from './commands/cluster.js'
import { definitionCommands } from './commands/definitions.js'
import { limitCommands } from './commands/limits.js'
import { listingCommands } from './commands/listings.js'
import { environmentCommands } from './commands/environment.js'
import { nodeCommands } from './commands/node.js'
import { permissionCommands, topicPermissionCommands } from './commands/permissions.js'
import { policyCommands } from './commands/policies.js'
import { queueCommands } from './commands/queues.js'
import { delayedCommands } from './commands/delayed.js'
import { superStreamCommands } from './commands/super-streams.js'
import { statusCommands } from './commands/status.js'
import { userCommands } from './commands/users.js'
import { vhostCommands } from './commands/vhosts.js'
import { CtlError, EXIT } from './errors.js'
import { closestName } from '../../shared/index.js'
import { DEFAULT_URL, HttpApi, resolveTarget } from './http.js'
import { Output } from './output.js'

export const COMMANDS: readonly CtlCommand[] = [
  ...listingCommands,
  ...userCommands,
  ...vhostCommands,
  ...permissionCommands,
  ...topicPermissionCommands,
  ...accessCommands,
  ...limitCommands,
  ...policyCommands,
  ...queueCommands,
  ...delayedCommands,
  ...superStreamCommands,
  ...definitionCommands,
  ...statusCommands,
  ...nodeCommands,
  ...environmentCommands,
  ...clusterCommands,
]

interface GlobalOptions {
  url?: string
  host?: string
  port?: string
  username?: string
  password?: string
  vhost?: string
  quiet?: boolean
  silent?: boolean
  tableHeaders?: boolean
  formatter?: string
  timeout?: number
}

const seconds = (v: string): number => {
  const n = Number(v)
  if (!(n > 0)) throw new InvalidArgumentError('expected a positive number of seconds')
  return n
}

/**
 * commander's usage errors in rabbitmqctl's words; an unknown command gets rabbitmqctl's "not found" and
 * the closest command name, if one is close enough.
 */
function usageError(message: string): string {
  const unknown = /^error: unknown command '([^']*)'/.exec(message)
  if (!unknown) return message.replace(/^error: /, 'Error (argument validation): ')
  const name = unknown[1] ?? ''
  const suggestion = closestName(
    name,
    COMMANDS.map((cmd) => cmd.name),
  )
  const hint = suggestion ? `Did you mean '${suggestion}'? ` : "Run 'warren ctl help' for the commands."
  return `\nCommand '${name}' not found. \n${hint}\n\n`
}

function buildProgram(io: CtlIo): Command {
  const program = new Command('warren ctl')
    .description("Manages a running Warren broker through its HTTP API, with rabbitmqctl's commands.")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(usageError(s)),
    })
    .configureHelp({ sortSubcommands: true, showGlobalOptions: true })
    .option('--url <url>', `HTTP API URL (default: $WARREN_HTTP_URL, else ${DEFAULT_URL})`)
    .option('--host <host>', 'HTTP API host (replaces the URL host)')
    .option('--port <port>', 'HTTP API port (replaces the URL port)')
    .option('--username <name>', 'user to log in as (default: guest)')
    .option('--password <password>', 'password to log in with (default: guest)')
    .option('-p, --vhost <vhost>', 'virtual host, for commands scoped to one', '/')
    .option('-q, --quiet', 'suppress informational messages')
    .option('-s, --silent', 'suppress informational messages and table header row')
    .option('--no-table-headers', 'do not print the header row of tables')
    .addOption(
      new Option('--formatter <formatter>', 'output format').choices(['table', 'json']).default('table'),
    )
    .addOption(new Option('-t, --timeout <seconds>', 'HTTP request timeout').argParser(seconds).default(60))
  for (const spec of COMMANDS) addCommand(program, io, spec)
  return program
}

function addCommand(program: Command, io: CtlIo, spec: CtlCommand): void {
  const cmd = program.command(spec.name).description(spec.summary)
  for (const arg of spec.args ?? []) cmd.argument(arg)
  for (const [flags, description] of spec.options ?? []) cmd.option(flags, description)
  cmd.action(async (...params: unknown[]) => {
    const self = params[params.length - 1] as Command
    await spec.run(contextFor(io, self.optsWithGlobals<GlobalOptions>()), self.args, self.opts())
  })
}

function contextFor(io: CtlIo, g: GlobalOptions): Ctx {
  const target = resolveTarget(
    {
      url: g.url,
      host: g.host,
      port: g.port,
      username: g.username,
      password: g.password,
      timeout: g.timeout,
    },
    io.env ?? process.env,
  )
  const out = new Output(io.stdout, {
    json: g.formatter === 'json',
    quiet: g.quiet === true,
    silent: g.silent === true,
    headers: g.tableHeaders !== false,
  })
  return new Ctx(new HttpApi(target), out, io, g.vhost ?? '/', g.timeout ?? 60)
}

/**
 * Runs one `warren ctl` command line (`argv` without the program name, e.g. ['list_queues', '-p', 'v'])
 * and returns the exit code; nothing is written to process.stdout/stderr except through `io`.
 */
export async function runCtl(argv: readonly string[], io: CtlIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'user' })
    return EXIT.ok
  } catch (err) {
    if (err instanceof CtlError) {
      io.stderr.write(err.message + '\n')
      return err.exitCode
    }
    // commander has printed its message (or the help) already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage
    io.stderr.write(`Error: ${(err as Error).message}\n`)
    return EXIT.software
  }
}
