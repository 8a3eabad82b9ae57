// The `warren` command line: subcommands are assembled here.
import { Command } from 'commander'
import { WARREN_VERSION } from '../amqp/index.js'
import { serverCommand } from './server-command.js'
import { ctlCommand } from './ctl/index.js'
import { perfCommand } from '../perf/index.js'

export function buildCli(): Command {
  return new Command('warren')
    .description('Warren: a RabbitMQ-compatible AMQP 0-9-1 message broker')
    .version(WARREN_VERSION, '-v, --version')
    .addCommand(serverCommand())
    .addCommand(ctlCommand())
    .addCommand(perfCommand())
    .showHelpAfterError()
}
