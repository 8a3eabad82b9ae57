// The families RabbitMQ serves under rabbitmq_cluster_ on /metrics/detailed only: vhosts and exchanges,
// cluster-wide figures (a single node here). The default exchange and internal exchanges are left out,
// as RabbitMQ leaves them out; `vhost=` does not limit these families, as in RabbitMQ.
import type { Exchange } from '../../core/index.js'
import type { ManagementContext } from '../context.js'
import type { Labels } from './exposition.js'
import { defineFamily, type Family } from './families.js'

export const vhostStatus: Family = defineFamily<number>({
  perObject: true,
  // A Warren vhost cannot be down: it is running from its creation to its deletion.
  objects: (ctx) => [...ctx.broker.vhosts.keys()].map((vhost) => [{ vhost }, 1]),
  metrics: [['vhost_status', 'gauge', 'Whether a given vhost is running', (up) => up]],
})

function* exchanges(ctx: ManagementContext): Generator<readonly [Labels, Exchange]> {
  for (const v of ctx.broker.vhosts.values()) {
    for (const ex of v.exchanges.values()) {
      if (ex.name === '' || ex.internal) continue
      yield [{ vhost: v.name, exchange: ex.name, type: ex.type }, ex]
    }
  }
}

export const exchangeBindings: Family = defineFamily<Exchange>({
  perObject: true,
  objects: exchanges,
  metrics: [
    [
      'exchange_bindings',
      'gauge',
      'Number of bindings for an exchange. This value is cluster-wide.',
      (ex) => ex.bindingCount,
    ],
  ],
})

export const exchangeNames: Family = defineFamily<Exchange>({
  perObject: true,
  objects: exchanges,
  metrics: [
    [
      'exchange_name',
      'gauge',
      'Enumerates exchanges without any additional info. This value is cluster-wide. A cheaper alternative to `exchange_bindings`',
      () => 1,
    ],
  ],
})
