// The one mapping between AMQP 0-9-1 messages and the AMQP 1.0 messages of the Stream protocol, both
// ways: properties, headers as application properties, exchange and routing key as annotations.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Timestamp, TypedValue } from '../../src/shared/index.js'
import { decodeAmqp10, encodeAmqp10 } from '../../src/stream-protocol/index.js'

test('message mapping: an AMQP 0-9-1 message survives AMQP 1.0 and back', () => {
  const m = {
    exchange: 'orders',
    routingKey: 'eu.new',
    properties: {
      contentType: 'application/json',
      contentEncoding: 'gzip',
      deliveryMode: 2,
      priority: 5,
      correlationId: 'c-1',
      replyTo: 'replies',
      expiration: '60000',
      messageId: 'm-1',
      timestamp: 1_700_000_000,
      type: 'order.created',
      userId: 'guest',
      appId: 'shop',
      headers: {
        s: 'text',
        i: 42,
        neg: -7,
        big: 2 ** 40,
        f: 1.5,
        yes: true,
        nil: null,
        bin: Buffer.from([1, 2, 3]),
        at: new Timestamp(1_600_000_000),
        l: new TypedValue('l', 9),
      },
    },
    body: Buffer.from('{"id":1}'),
  }
  const back = decodeAmqp10(encodeAmqp10(m), 'ignored')
  assert.equal(back.exchange, 'orders')
  assert.equal(back.routingKey, 'eu.new')
  assert.deepEqual(back.body, m.body)
  const { headers, ...props } = back.properties
  const { headers: sent, ...sentProps } = m.properties
  assert.deepEqual(props, sentProps)
  assert.deepEqual(headers, {
    ...sent,
    big: new TypedValue('l', 2 ** 40),
    l: new TypedValue('l', 9),
  })
})

test('message mapping: a message without properties stays bare; tables are left out of application properties', () => {
  const bare = decodeAmqp10(
    encodeAmqp10({ exchange: '', routingKey: 'q', properties: {}, body: Buffer.alloc(0) }),
    'q',
  )
  assert.deepEqual(bare, { exchange: '', routingKey: 'q', properties: {}, body: Buffer.alloc(0) })
  const nested = decodeAmqp10(
    encodeAmqp10({
      exchange: '',
      routingKey: 'q',
      properties: { headers: { keep: 1, table: { a: 1 }, list: [1, 2] } },
      body: Buffer.from('x'),
    }),
    'q',
  )
  assert.deepEqual(nested.properties.headers, { keep: 1 })
})

test('message mapping: a hand-encoded AMQP 1.0 message (as stream clients send it) decodes', () => {
  // properties [message-id "id", null, null, "subj"], application properties {"k": "v"}, data "hi"
  const msg = Buffer.concat([
    Buffer.from([0x00, 0x53, 0x73, 0xc0, 0x0b, 0x04, 0xa1, 0x02]),
    Buffer.from('id'),
    Buffer.from([0x40, 0x40, 0xa1, 0x04]),
    Buffer.from('subj'),
    Buffer.from([0x00, 0x53, 0x74, 0xc1, 0x07, 0x02, 0xa1, 0x01, 0x6b, 0xa1, 0x01, 0x76]),
    Buffer.from([0x00, 0x53, 0x75, 0xa0, 0x02]),
    Buffer.from('hi'),
  ])
  const m = decodeAmqp10(msg, 'events')
  assert.equal(m.exchange, '')
  assert.equal(m.routingKey, 'events')
  assert.equal(m.properties.messageId, 'id')
  assert.deepEqual(m.properties.headers, { k: 'v' })
  assert.equal(m.body.toString(), 'hi')
})

test('message mapping: truncated or unknown encodings are refused, not misread', () => {
  assert.throws(() => decodeAmqp10(Buffer.from([0x00, 0x53, 0x75, 0xa0, 0x09, 0x01]), 's'), /runs past/)
  assert.throws(() => decodeAmqp10(Buffer.from([0x00, 0x53, 0x75, 0xff]), 's'), /unknown AMQP 1.0 type/)
  assert.throws(() => decodeAmqp10(Buffer.from([0xa1, 0x01, 0x41]), 's'), /described value/)
})

test('message mapping: a message as RabbitMQ 3.10.8 sends it to stream clients decodes to its AMQP 0-9-1 form', () => {
  // Captured from a 3.10.8 node: basic.publish to stream 'xr2-1796497003346' with delivery mode 2,
  // priority 3, expiration 60000, body 'x', read back by a Stream-protocol subscriber.
  const hex =
    '005372c1790aa30d782d726f7574696e672d6b6579a1117872322d31373936343937303033333436a30a782d65786368616e6765a100' +
    'a310782d62617369632d7072696f726974795003a315782d62617369632d64656c69766572792d6d6f64655002a312782d626173' +
    '69632d65787069726174696f6ea1053630303030005375a00178'
  const m = decodeAmqp10(Buffer.from(hex, 'hex'), 'ignored')
  assert.deepEqual(m, {
    exchange: '',
    routingKey: 'xr2-1796497003346',
    properties: { priority: 3, deliveryMode: 2, expiration: '60000' },
    body: Buffer.from('x'),
  })
  // Warren writes the same sections (map32 where RabbitMQ uses map8: the same values).
  assert.deepEqual(decodeAmqp10(encodeAmqp10(m), 'ignored'), m)
})
