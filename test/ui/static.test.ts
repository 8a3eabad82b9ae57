// The console's files over HTTP: index.html at /, assets with their types and a content security
// policy, no authentication needed, and the API's own 404 for anything else.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { type RunningBroker, startBroker } from '../../src/index.js'

let broker: RunningBroker

before(async () => {
  broker = await startBroker({ amqpPort: 0, httpPort: 0, bind: '127.0.0.1', logLevel: 'silent' })
})
after(() => broker.close())

const get = (path: string) => fetch(new URL(path, broker.httpUrl))

test('/ serves the console page with a content security policy, without authentication', async () => {
  const res = await get('/')
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8')
  assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/)
  assert.match(await res.text(), /<script type="module" src="js\/main.js"><\/script>/)
})

test('the console scripts, stylesheet and icon are served with their content types', async () => {
  for (const [path, type] of [
    ['/js/main.js', 'text/javascript; charset=utf-8'],
    ['/css/console.css', 'text/css; charset=utf-8'],
    ['/favicon.svg', 'image/svg+xml'],
  ] as const) {
    const res = await get(path)
    assert.equal(res.status, 200, path)
    assert.equal(res.headers.get('content-type'), type, path)
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
  }
})

test('paths outside the console keep the API 404, and the API still asks for credentials', async () => {
  for (const path of ['/js/nope.js', '/../package.json', '/%2e%2e/package.json', '/api/nope']) {
    const res = await get(path)
    assert.equal(res.status, 404, path)
    assert.deepEqual(await res.json(), { error: 'Object Not Found', reason: 'Not Found' })
  }
  const res = await get('/api/overview')
  assert.equal(res.status, 401)
})
