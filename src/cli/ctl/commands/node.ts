// ping and await_startup: whether the broker answers, for scripts and health checks. rabbitmqctl asks the
// Erlang node; warren ctl asks the HTTP API, which answers only once the broker has recovered its data
// and opened its listeners.
import type { Ctx, CtlCommand } from '../context.js'
import { CtlError, EXIT } from '../errors.js'

const POLL_MS = 250

/**
 * Whether the HTTP API answers: the failure, or undefined when it does. A refused login counts as an
 * answer, as rabbitmqctl's ping needs no user either: a container's health check stays right whichever
 * users the operator created.
 */
async function answers(c: Ctx): Promise<CtlError | undefined> {
  try {
    await c.api.get('/api/overview')
    return undefined
  } catch (err) {
    if (!(err instanceof CtlError)) throw err
    return err.exitCode === EXIT.noPerm ? undefined : err
  }
}

export const nodeCommands: readonly CtlCommand[] = [
  {
    name: 'ping',
    summary: 'checks that the broker answers (exit 0) or not (exit 69)',
    run: async (c) => {
      const ms = c.timeoutSecs * 1000
      c.out.info(
        `Will ping ${c.api.where}. This only checks that the broker's HTTP API answers. Timeout: ${ms} ms.`,
      )
      const failed = await answers(c)
      if (failed) {
        const cause = failed.message.replace(/^Error: /, '')
        throw new CtlError(
          `Error:\nFailed to connect and authenticate to ${c.api.where} in ${ms} ms\n${cause}`,
          EXIT.unavailable,
        )
      }
      if (c.out.mode.json) return c.out.json({ message: 'Ping succeeded' })
      c.out.result('Ping succeeded')
    },
  },
  {
    name: 'await_startup',
    summary: 'waits until the broker has started, up to --timeout seconds',
    run: async (c) => {
      const deadline = Date.now() + c.timeoutSecs * 1000
      for (;;) {
        const failed = await answers(c)
        if (!failed) return
        if (Date.now() + POLL_MS >= deadline) {
          const cause = failed.message.replace(/^Error: /, '')
          throw new CtlError(
            `Error:\nthe broker at ${c.api.where} did not start within ${c.timeoutSecs} seconds\n${cause}`,
            EXIT.unavailable,
          )
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      }
    },
  },
]
