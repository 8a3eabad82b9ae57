// `warren ctl`: a rabbitmqctl-style client of the management HTTP API. runCtl is the whole program
// (tests call it in-process); ctlCommand hands the `warren ctl ...` arguments to it untouched.
import { Command } from 'commander'
import { runCtl } from './program.js'

export { runCtl, COMMANDS } from './program.js'
export type { CtlIo } from './context.js'
export type { Writer } from './output.js'
export { EXIT, type ExitCode } from './errors.js'

export function ctlCommand(): Command {
  return new Command('ctl')
    .description(
      "manage a running broker through its HTTP API, with rabbitmqctl's commands (see `warren ctl help`)",
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'a command and its arguments, e.g. list_queues name messages')
    .action(async (args: string[]) => {
      process.exitCode = await runCtl(args, {
        stdout: process.stdout,
        stderr: process.stderr,
        get stdin() {
          return process.stdin // read only by `import_definitions -`; touched only then
        },
        env: process.env,
        isTTY: process.stdout.isTTY,
      })
    })
}
