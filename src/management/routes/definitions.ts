// /api/definitions: export (GET) and import (POST), for the whole broker or one vhost.
import { exportDefinitions, exportVhostDefinitions, importDefinitions } from '../definitions.js'
import { badRequest } from '../http-errors.js'
import type { Call, Routes } from '../server.js'

function download(c: Call): void {
  const name = c.query['download']
  if (name !== undefined && name !== '') c.reply.header('content-disposition', `attachment; filename=${name}`)
}

export function registerDefinitionRoutes(routes: Routes): void {
  routes.add('GET', '/api/definitions', 'administrator', (c) => {
    download(c)
    return exportDefinitions(c.ctx)
  })
  // As in RabbitMQ, an import must say it is JSON even when it has no body.
  const jsonOnly = { jsonOnly: true }
  routes.add(
    'POST',
    '/api/definitions',
    'administrator',
    (c) => importDefinitions(c.ctx, c.body('failed_to_parse_json')),
    jsonOnly,
  )
  routes.add('GET', '/api/definitions/:vhost', 'administrator', (c) => {
    const v = c.ctx.broker.vhosts.get(c.params['vhost'] as string)
    if (!v) throw badRequest('vhost_not_found')
    download(c)
    return exportVhostDefinitions(c.ctx, v)
  })
  routes.add(
    'POST',
    '/api/definitions/:vhost',
    'administrator',
    (c) => {
      const v = c.ctx.broker.vhosts.get(c.params['vhost'] as string)
      if (!v) throw badRequest('vhost_not_found')
      importDefinitions(c.ctx, c.body('failed_to_parse_json'), v)
    },
    jsonOnly,
  )
}
