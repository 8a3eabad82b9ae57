// Warren's own node endpoints for `warren ctl`: the settings in effect with their sources
// (`warren ctl environment`), stopping the broker (`warren ctl stop`) and forgetting a cluster node that
// is gone for good (`warren ctl forget_cluster_node`). RabbitMQ's CLI reaches the node over Erlang
// distribution for these; Warren's reaches it over this API, so all are for administrators only.
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
  routes.add('DELETE', '/api/nodes/:node', 'administrator', forgetNode)
}

/**
 * Only a node that is down may be forgotten: a running one would register itself again at once, and the
 * leader cannot forget itself. A single node has no other node to forget.
 */
async function forgetNode(c: Call): Promise<undefined> {
  const name = c.params['node'] ?? ''
  const forget = c.ctx.forgetClusterNode
  const node = c.ctx.cluster ? (await c.ctx.cluster()).nodes.find((n) => n.name === name) : undefined
  // rabbitmqctl's wording for a node it does not know.
  if (!node || !forget) throw new HttpError(404, 'not_found', 'The node selected is not in the cluster.')
  if (node.running) {
    throw new HttpError(
      409,
      'conflict',
      `node ${name} is running: only a node that is down can be forgotten; stop it first`,
    )
  }
  await forget(name)
  c.ctx.logger?.info({ user: c.user.name }, `node ${name} forgotten by user '${c.user.name}'`)
  return undefined
}

function checkNode(c: Call): void {
  if (c.params['node'] !== c.ctx.nodeName) throw notFound()
}

function notAvailable(reason: string): HttpError {
  return new HttpError(501, 'not_implemented', reason)
}
