// Changing requests refuse what a page in an administrator's browser could send cross-site without a
// CORS preflight: a form or a text/plain body. RabbitMQ 3.10 refuses non-JSON only on definitions import
// (415); Warren also refuses form and text/plain bodies on every changing request, and reads any other
// body as JSON (scripts often send no Content-Type), as RabbitMQ does. The cases where both agree also run
// against the reference RabbitMQ.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { seg, unique, useManagement } from './helpers.js'

const m = useManagement()
const GUEST = 'Basic ' + Buffer.from('guest:guest').toString('base64')

interface RawOptions {
  /** A string, or bytes (fetch then sends no Content-Type of its own). */
  body?: string | Uint8Array
  type?: string
  auth?: boolean
}

/** A request exactly as given: no Content-Type unless `type` says so. */
async function raw(method: string, path: string, o: RawOptions = {}): Promise<number> {
  const headers: Record<string, string> = o.auth === false ? {} : { authorization: GUEST }
  if (o.type !== undefined) headers['content-type'] = o.type
  const init: RequestInit = { method, headers }
  if (o.body !== undefined) init.body = o.body
  const r = await fetch(new URL(path.replace(/^\//, ''), m.httpUrl), init)
  await r.arrayBuffer()
  return r.status
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('definitions import: JSON only, as in RabbitMQ', () => {
  test('text/plain, form-encoded, or no Content-Type: 415, with or without a body', async () => {
    assert.equal(await raw('POST', '/api/definitions', { body: '{}', type: 'text/plain' }), 415)
    const form = 'application/x-www-form-urlencoded'
    assert.equal(await raw('POST', '/api/definitions', { body: 'users=x', type: form }), 415)
    assert.equal(await raw('POST', '/api/definitions', { body: bytes('{}') }), 415)
    assert.equal(await raw('POST', '/api/definitions'), 415)
  })

  test('application/json (with or without parameters, even empty) is imported', async () => {
    assert.equal(await raw('POST', '/api/definitions', { type: 'application/json' }), 204)
    const type = 'application/json; charset=utf-8'
    assert.equal(await raw('POST', '/api/definitions', { body: '{}', type }), 204)
  })

  test('the caller is authenticated first: 401, not 415, without credentials', async () => {
    assert.equal(await raw('POST', '/api/definitions', { body: '{}', type: 'text/plain', auth: false }), 401)
  })
})

describe('every changing request: no form or text/plain body', () => {
  test('a PUT without a body (curl -X PUT) is accepted as in RabbitMQ', async () => {
    const name = unique('ct-nobody')
    assert.equal(await raw('PUT', `/api/vhosts/${name}`), 201)
    assert.equal(await raw('DELETE', `/api/vhosts/${name}`), 204)
  })

  test('a JSON body is accepted, with the JSON Content-Type or none (scripts often send none)', async () => {
    for (const type of ['application/json', undefined]) {
      const name = unique('ct-json')
      const o: RawOptions = type === undefined ? { body: bytes('{}') } : { body: '{}', type }
      assert.equal(await raw('PUT', `/api/vhosts/${name}`, o), 201, type ?? 'no Content-Type')
      assert.equal(await raw('DELETE', `/api/vhosts/${name}`), 204)
    }
  })

  // RabbitMQ 3.10 accepts these (docs/compatibility.md): a cross-site page can send every one of them.
  test('text/plain, form-encoded or multipart: 415 and nothing changes', { skip: m.external }, async () => {
    const name = unique('ct-refused')
    const cases: RawOptions[] = [
      { body: '{}', type: 'text/plain' },
      { body: '{}', type: 'text/plain;charset=UTF-8' },
      { body: 'description=x', type: 'application/x-www-form-urlencoded' },
      { body: '--b\r\n\r\n{}\r\n--b--\r\n', type: 'multipart/form-data; boundary=b' },
    ]
    for (const o of cases) {
      assert.equal(await raw('PUT', `/api/vhosts/${name}`, o), 415, o.type ?? 'no Content-Type')
      assert.equal((await m.api('GET', `/api/vhosts/${name}`)).status, 404)
    }
    const users = { body: JSON.stringify({ users: ['guest'] }), type: 'text/plain' }
    assert.equal(await raw('POST', '/api/users/bulk-delete', users), 415)
    assert.equal((await m.api('GET', '/api/whoami')).status, 200)
    const publish = '{"properties":{},"routing_key":"x","payload":"x","payload_encoding":"string"}'
    const to = `/api/exchanges/${seg('/')}/amq.default/publish`
    assert.equal(await raw('POST', to, { body: publish, type: 'text/plain' }), 415)
    assert.equal(await raw('DELETE', `/api/vhosts/${name}`, { body: 'x', type: 'text/plain' }), 415)
  })
})
