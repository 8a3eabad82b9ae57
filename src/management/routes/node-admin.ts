// Warren's own node endpoints for `warren ctl`: the settings in effect with their sources
// (`warren ctl environment`) and stopping the broker (`warren ctl stop`). RabbitMQ's CLI reaches the
// node over Erlang distribution for these; Warren's reaches it over this API, so both are for
// administrators only.
import { HttpError, notFound } from '../http-errors.js'
import type { Call, Routes } from '../server.js'

export function registerNodeRoutes(routes: Routes): void {
  routes.add('GET', '/api/nodes/:node/environment', 'administrator', (c) => {
    checkNode(c)
    const env = c.ctx.environment?.()
    if (!env) throw notAvailable('this broker was not started with a configuration to report')
    return { node: c.ctx.nodeName, config_files: env.configFiles, settings: env.settings }
  })
  routes.add('POST', '/api/nodes/:node/stop', 'administrator', (c) => {
    checkNode(c)
    const stop = c.ctx.requestStop
    if (!stop) throw notAvailable('this broker is embedded in another program; stop it from there')
    c.ctx.logger?.info({ user: c.user.name }, `stop requested by user '${c.user.name}' over the HTTP API`)
    // After the reply is on its way: the stop closes this HTTP server too.
    setImmediate(stop)
    c.reply.code(202)
    return { node: c.ctx.nodeName, stopping: true }
  })
}

function checkNode(c: Call): void {
  if (c.params['node'] !== c.ctx.nodeName) throw notFound()
}

function notAvailable(reason: string): HttpError {
  return new HttpError(501, 'not_implemented', reason)
}
