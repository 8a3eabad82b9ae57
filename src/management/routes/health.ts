// /api/aliveness-test/{vhost} and /api/health/checks/*: the alarm checks fail (503) while a memory or
// disk alarm is set; listener checks look at the listeners boot reported.
import { Message } from '../../core/index.js'
import { checkResource, requireVhostAccess } from '../auth.js'
import { badRequest, notFound } from '../http-errors.js'
import type { Call, Routes } from '../server.js'
import { checkDirectConnection } from '../session.js'

const ALIVENESS_QUEUE = 'aliveness-test'
const OK = { status: 'ok' } as const

export function registerHealthRoutes(routes: Routes): void {
  routes.add('GET', '/api/aliveness-test/:vhost', 'management', (c) => {
    const name = c.params['vhost'] as string
    requireVhostAccess(c.ctx, c.user, name)
    const v = c.ctx.broker.vhosts.get(name)
    if (!v) throw notFound()
    // RabbitMQ runs the test over AMQP as the caller: declare, publish to the default exchange, get.
    checkDirectConnection(c, v)
    checkResource(c.ctx, c.user, name, 'configure', 'queue', ALIVENESS_QUEUE)
    checkResource(c.ctx, c.user, name, 'write', 'exchange', '')
    checkResource(c.ctx, c.user, name, 'read', 'queue', ALIVENESS_QUEUE)
    // As RabbitMQ: declare the queue, publish a message to it and get it back.
    const q = v.declareQueue(
      {
        name: ALIVENESS_QUEUE,
        passive: false,
        durable: false,
        exclusiveOwner: undefined,
        autoDelete: false,
        args: {},
      },
      -1,
    )
    const msg = new Message(
      '',
      ALIVENESS_QUEUE,
      {},
      Buffer.from('test_message'),
      undefined,
      c.ctx.clock.now(),
    )
    v.publish(v.getExchange(''), msg)
    const got = q.get(true)
    if (got?.entry.message.body.toString() !== 'test_message') {
      c.reply.code(503)
      return { status: 'failed', reason: 'aliveness test message not received' }
    }
    return OK
  })
  // One node, so the cluster's alarms are the node's; the body is RabbitMQ's.
  const alarmCheck = (where: string) => (c: Call) => {
    const alarms = [...c.ctx.broker.alarms]
    if (alarms.length === 0) return OK
    c.reply.code(503)
    return {
      alarms: alarms.map((resource) => ({ node: c.ctx.nodeName, resource })),
      reason: `There are alarms in effect ${where}`,
      status: 'failed',
    }
  }
  routes.add('GET', '/api/health/checks/alarms', 'management', alarmCheck('in the cluster'))
  routes.add('GET', '/api/health/checks/local-alarms', 'management', alarmCheck('on the node'))
  routes.add('GET', '/api/health/checks/virtual-hosts', 'management', () => OK)
  routes.add('GET', '/api/health/checks/node-is-quorum-critical', 'management', () => ({
    status: 'ok',
    reason: 'single node cluster',
  }))
  routes.add('GET', '/api/health/checks/node-is-mirror-sync-critical', 'management', () => ({
    status: 'ok',
    reason: 'single node cluster',
  }))
  routes.add('GET', '/api/health/checks/certificate-expiration/:within/:unit', 'management', () => OK)
  routes.add('GET', '/api/health/checks/port-listener/:port', 'management', ({ ctx, params, reply }) => {
    const raw = params['port'] as string
    if (!/^\d+$/.test(raw)) throw badRequest('Invalid port')
    const port = Number(raw)
    const ports = ctx.listeners.map((l) => l.port).sort((a, b) => a - b)
    if (ports.includes(port)) return { status: 'ok', port }
    reply.code(503)
    return { status: 'failed', reason: 'No active listener', missing: port, ports }
  })
  routes.add(
    'GET',
    '/api/health/checks/protocol-listener/:protocol',
    'management',
    ({ ctx, params, reply }) => {
      const asked = params['protocol'] as string
      // RabbitMQ takes the WebSocket plugins' short names for their listeners' (http/web-stomp).
      const protocol = WEB_LISTENERS[asked] ?? asked
      const protocols = [...new Set(ctx.listeners.map((l) => l.protocol))]
      if (protocols.includes(protocol)) return { status: 'ok', protocol }
      reply.code(503)
      return { status: 'failed', reason: 'No active listener', missing: protocol, protocols }
    },
  )
}

const WEB_LISTENERS: Readonly<Record<string, string>> = {
  'web-mqtt': 'http/web-mqtt',
  'web-stomp': 'http/web-stomp',
}
