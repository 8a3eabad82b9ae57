// environment and stop: what the broker runs with, and stopping it. rabbitmqctl prints the Erlang
// application environment; Warren has none, so `environment` prints every setting, its value and where it
// came from (flag, environment variable, configuration file line, default) — the question an operator
// asks when a setting does not take.
import { seg } from '../http.js'
import type { Ctx, CtlCommand } from '../context.js'
import { CtlError, EXIT } from '../errors.js'

interface Environment {
  node: string
  config_files: string[]
  settings: Array<{ name: string; value: unknown; source: string }>
}

const POLL_MS = 200

const show = (v: unknown): string =>
  v === null || v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v)

export const environmentCommands: readonly CtlCommand[] = [
  {
    name: 'environment',
    summary: 'shows every setting in effect, its value and where it came from',
    run: async (c) => {
      const node = await c.nodeName()
      const env = (await c.api.get(`/api/nodes/${seg(node)}/environment`)) as Environment
      if (c.out.mode.json) return c.out.json(env)
      c.out.info(`Application environment of node ${node} ...`)
      const files = env.config_files.length > 0 ? env.config_files.join(', ') : '(none)'
      c.out.result(`Configuration files: ${files}`)
      c.out.rows(
        [
          { name: 'setting', kind: 'plain' },
          { name: 'value', kind: 'plain' },
          { name: 'source', kind: 'plain' },
        ],
        env.settings.map((s) => [s.name, show(s.value), s.source]),
        'nothing',
      )
    },
  },
  {
    name: 'stop',
    summary: 'stops the broker (clients are closed with 320 CONNECTION_FORCED) and waits until it has',
    run: async (c) => {
      const node = await c.nodeName()
      c.out.info(`Stopping and halting node ${node} ...`)
      const r = await c.api.call('POST', `/api/nodes/${seg(node)}/stop`)
      if (r.status !== 202) throw c.api.unexpected('POST', `/api/nodes/${node}/stop`, r)
      await stopped(c)
      await c.finish()
    },
  },
]

/** Waits until the HTTP API no longer answers: the broker has closed its listeners. */
async function stopped(c: Ctx): Promise<void> {
  const deadline = Date.now() + c.timeoutSecs * 1000
  while (Date.now() < deadline) {
    try {
      await c.api.call('GET', '/api/overview')
    } catch (err) {
      if (err instanceof CtlError && err.exitCode === EXIT.unavailable) return
      throw err
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
  throw new CtlError(
    `Error: the broker was asked to stop but still answers after ${c.timeoutSecs} seconds`,
    EXIT.tempFail,
  )
}
