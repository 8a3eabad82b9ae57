// On a dual-stack listener (bound to ::, as Warren is by default) an IPv4 client's address arrives as
// ::ffff:127.0.0.1. RabbitMQ shows it in its IPv4 form in connection names, peer_host and host, and so
// must Warren: tools and scripts match on "127.0.0.1".
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import amqp from 'amqplib'
import { type RunningBroker, startBroker } from '../../src/index.js'

let broker: RunningBroker

before(async () => {
  broker = await startBroker({ amqpPort: 0, httpPort: 0, bind: '::', logLevel: 'silent' })
})

after(async () => {
  await broker.close()
})

async function api(path: string): Promise<Array<Record<string, unknown>>> {
  const auth = `Basic ${Buffer.from('guest:guest').toString('base64')}`
  const url = new URL(path, broker.httpUrl.replace('[::]', '127.0.0.1'))
  return (await (await fetch(url, { headers: { authorization: auth } })).json()) as Array<
    Record<string, unknown>
  >
}

test('an IPv4 client on a dual-stack listener is shown with its IPv4 address', async () => {
  const port = new URL(broker.amqpUrl).port
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`)
  const ch = await conn.createChannel()
  const [c] = await api('api/connections')
  assert.match(String(c?.['name']), /^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$/)
  assert.equal(c?.['peer_host'], '127.0.0.1')
  assert.equal(c?.['host'], '127.0.0.1')
  const [channel] = await api('api/channels')
  assert.equal((channel?.['connection_details'] as Record<string, unknown>)['peer_host'], '127.0.0.1')
  await ch.close()
  await conn.close()
})
