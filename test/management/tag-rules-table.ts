// Who may call which management endpoint, as RabbitMQ 3.10 decides it: one row per endpoint and method,
// one status per caller, in the order of WHO. Every caller holds full permissions ('.*') in vhost {A} and
// none in {B}; {own}/{ownCh} is the caller's own AMQP connection/channel (to {A}), {other}/{otherCh} one
// of another user. `reset` runs as guest before every request, so each caller finds the same state.
// Checked against the reference RabbitMQ (docs/security.md has the same table in prose).

export const WHO = ['anonymous', 'none', 'management', 'policymaker', 'monitoring', 'administrator'] as const
export type Who = (typeof WHO)[number]

export type Call = readonly [method: string, path: string, body?: unknown]

export interface Rule {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE'
  readonly path: string
  /** Six statuses, for anonymous, none, management, policymaker, monitoring, administrator. */
  readonly expect: string
  readonly body?: unknown
  readonly reset?: readonly Call[]
}

const QUEUE = { durable: false }
const POLICY = { pattern: '^tagrule-nothing$', definition: { 'max-length': 100 }, 'apply-to': 'queues' }
const PUBLISH = { properties: {}, routing_key: 'k', payload: 'x', payload_encoding: 'string' }
const GET = { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' }
const PERMISSION = { configure: '.*', write: '.*', read: '.*' }
const TOPIC_PERMISSION = { exchange: 'amq.topic', write: '.*', read: '.*' }
const LIMIT = { value: 1000 }

const rule = (method: Rule['method'], path: string, expect: string, more: Partial<Rule> = {}): Rule => ({
  method,
  path,
  expect,
  ...more,
})

// Shorthands for the common rows.
const EVERY_MGMT = '401 401 200 200 200 200'
const ADMIN = '401 401 401 401 401 200'
const MONITOR = '401 401 401 401 200 200'
const POLICYMAKER = '401 401 401 200 401 200'
const WITH_ACCESS = '401 401 200 200 200 200' // management users with permissions in the vhost
const ADMIN_OR_ACCESS_B = '401 401 401 401 401 200' // {B}: only administrators pass without permissions

export const READS: readonly Rule[] = [
  rule('GET', '/api/overview', EVERY_MGMT),
  rule('GET', '/api/whoami', EVERY_MGMT),
  rule('GET', '/api/cluster-name', EVERY_MGMT),
  rule('GET', '/api/extensions', EVERY_MGMT),
  rule('GET', '/api/nodes', MONITOR),
  rule('GET', '/api/nodes/{node}', MONITOR),
  rule('GET', '/api/vhosts', EVERY_MGMT),
  rule('GET', '/api/vhosts/{A}', ADMIN),
  rule('GET', '/api/vhosts/{A}/permissions', ADMIN),
  rule('GET', '/api/vhosts/{A}/topic-permissions', ADMIN),
  rule('GET', '/api/vhosts/{A}/connections', WITH_ACCESS),
  rule('GET', '/api/vhosts/{B}/connections', ADMIN_OR_ACCESS_B),
  rule('GET', '/api/vhosts/{A}/channels', WITH_ACCESS),
  rule('GET', '/api/vhosts/{B}/channels', ADMIN_OR_ACCESS_B),
  rule('GET', '/api/users', ADMIN),
  rule('GET', '/api/users/without-permissions', ADMIN),
  rule('GET', '/api/users/{subject}', ADMIN),
  rule('GET', '/api/users/{subject}/permissions', ADMIN),
  rule('GET', '/api/users/{subject}/topic-permissions', ADMIN),
  rule('GET', '/api/permissions', ADMIN),
  rule('GET', '/api/permissions/{A}/{owner}', ADMIN),
  rule('GET', '/api/topic-permissions', ADMIN),
  rule('GET', '/api/topic-permissions/{A}/{subject}', ADMIN, {
    reset: [['PUT', '/api/topic-permissions/{A}/{subject}', TOPIC_PERMISSION]],
  }),
  rule('GET', '/api/feature-flags', ADMIN),
  rule('GET', '/api/global-parameters', POLICYMAKER),
  rule('GET', '/api/parameters', POLICYMAKER),
  rule('GET', '/api/parameters/operator_policy', POLICYMAKER),
  rule('GET', '/api/parameters/operator_policy/{A}', POLICYMAKER),
  rule('GET', '/api/parameters/operator_policy/{B}', ADMIN),
  rule('GET', '/api/vhost-limits', EVERY_MGMT),
  rule('GET', '/api/vhost-limits/{A}', EVERY_MGMT),
  rule('GET', '/api/vhost-limits/{B}', '401 401 401 401 200 200'),
  rule('GET', '/api/user-limits', EVERY_MGMT),
  rule('GET', '/api/user-limits/{subject}', EVERY_MGMT),
  rule('GET', '/api/connections', EVERY_MGMT),
  rule('GET', '/api/connections/{own}', EVERY_MGMT),
  rule('GET', '/api/connections/{other}', MONITOR),
  rule('GET', '/api/connections/{own}/channels', EVERY_MGMT),
  rule('GET', '/api/connections/{other}/channels', MONITOR),
  rule('GET', '/api/channels', EVERY_MGMT),
  rule('GET', '/api/channels/{ownCh}', EVERY_MGMT),
  rule('GET', '/api/channels/{otherCh}', MONITOR),
  rule('GET', '/api/consumers', EVERY_MGMT),
  rule('GET', '/api/consumers/{A}', EVERY_MGMT),
  rule('GET', '/api/consumers/{B}', EVERY_MGMT),
  rule('GET', '/api/exchanges', EVERY_MGMT),
  rule('GET', '/api/exchanges/{A}', WITH_ACCESS),
  rule('GET', '/api/exchanges/{B}', ADMIN_OR_ACCESS_B),
  rule('GET', '/api/exchanges/{A}/x', WITH_ACCESS),
  rule('GET', '/api/exchanges/{B}/x', ADMIN_OR_ACCESS_B),
  rule('GET', '/api/exchanges/{A}/x/bindings/source', WITH_ACCESS),
  rule('GET', '/api/exchanges/{A}/x/bindings/destination', WITH_ACCESS),
  rule('GET', '/api/exchanges/{B}/x/bindings/source', ADMIN_OR_ACCESS_B),
  rule('GET', '/api/queues', EVERY_MGMT),
  rule('GET', '/api/queues/{A}', WITH_ACCESS),
  rule('GET', '/api/queues/{B}', ADMIN_OR_ACCESS_B),
  rule('GET', '/api/queues/{A}/q', WITH_ACCESS),
  rule('GET', '/api/queues/{B}/q', ADMIN_OR_ACCESS_B),
  rule('GET', '/api/queues/{A}/q/bindings', WITH_ACCESS),
  rule('GET', '/api/bindings', EVERY_MGMT),
  rule('GET', '/api/bindings/{A}', WITH_ACCESS),
  rule('GET', '/api/bindings/{B}', ADMIN_OR_ACCESS_B),
  rule('GET', '/api/bindings/{A}/e/x/q/q', WITH_ACCESS),
  rule('GET', '/api/bindings/{A}/e/x/q/q/k', WITH_ACCESS),
  rule('GET', '/api/bindings/{A}/e/x/e/x2', WITH_ACCESS),
  rule('GET', '/api/bindings/{B}/e/x/q/q', ADMIN_OR_ACCESS_B),
  rule('GET', '/api/policies', EVERY_MGMT),
  rule('GET', '/api/policies/{A}', WITH_ACCESS),
  rule('GET', '/api/policies/{B}', ADMIN_OR_ACCESS_B),
  rule('GET', '/api/policies/{A}/p', POLICYMAKER),
  rule('GET', '/api/policies/{B}/p', ADMIN),
  rule('GET', '/api/operator-policies', EVERY_MGMT),
  rule('GET', '/api/operator-policies/{A}', WITH_ACCESS),
  rule('GET', '/api/operator-policies/{B}', ADMIN_OR_ACCESS_B),
  rule('GET', '/api/operator-policies/{A}/op', ADMIN),
  rule('GET', '/api/definitions', ADMIN),
  rule('GET', '/api/definitions/{A}', ADMIN),
  rule('GET', '/api/aliveness-test/{A}', WITH_ACCESS),
  rule('GET', '/api/aliveness-test/{B}', '401 401 401 401 401 401'),
  rule('GET', '/api/health/checks/alarms', EVERY_MGMT),
  rule('GET', '/api/health/checks/local-alarms', EVERY_MGMT),
  rule('GET', '/api/health/checks/virtual-hosts', EVERY_MGMT),
  rule('GET', '/api/health/checks/node-is-quorum-critical', EVERY_MGMT),
  rule('GET', '/api/health/checks/node-is-mirror-sync-critical', EVERY_MGMT),
  rule('GET', '/api/health/checks/certificate-expiration/1/months', EVERY_MGMT),
  rule('GET', '/api/health/checks/port-listener/{port}', EVERY_MGMT),
  rule('GET', '/api/health/checks/protocol-listener/amqp', EVERY_MGMT),
]

export const CHANGES: readonly Rule[] = [
  rule('PUT', '/api/vhosts/{new}', '401 401 401 401 401 201', { reset: [['DELETE', '/api/vhosts/{new}']] }),
  rule('DELETE', '/api/vhosts/{new}', '401 401 401 401 401 204', { reset: [['PUT', '/api/vhosts/{new}']] }),
  rule('PUT', '/api/users/{new}', '401 401 401 401 401 201', {
    body: { password: 'x', tags: '' },
    reset: [['DELETE', '/api/users/{new}']],
  }),
  rule('DELETE', '/api/users/{new}', '401 401 401 401 401 204', {
    reset: [['PUT', '/api/users/{new}', { password: 'x', tags: '' }]],
  }),
  rule('POST', '/api/users/bulk-delete', '401 401 401 401 401 204', {
    body: { users: ['{new}'] },
    reset: [['PUT', '/api/users/{new}', { password: 'x', tags: '' }]],
  }),
  rule('PUT', '/api/permissions/{A}/{subject}', '401 401 401 401 401 201', {
    body: PERMISSION,
    reset: [['DELETE', '/api/permissions/{A}/{subject}']],
  }),
  rule('DELETE', '/api/permissions/{A}/{subject}', '401 401 401 401 401 204', {
    reset: [['PUT', '/api/permissions/{A}/{subject}', PERMISSION]],
  }),
  rule('PUT', '/api/topic-permissions/{A}/{subject}', '401 401 401 401 401 201', {
    body: TOPIC_PERMISSION,
    reset: [['DELETE', '/api/topic-permissions/{A}/{subject}']],
  }),
  rule('DELETE', '/api/topic-permissions/{A}/{subject}', '401 401 401 401 401 204', {
    reset: [['PUT', '/api/topic-permissions/{A}/{subject}', TOPIC_PERMISSION]],
  }),
  rule('PUT', '/api/vhost-limits/{A}/max-connections', '401 401 401 401 401 204', {
    body: LIMIT,
    reset: [['DELETE', '/api/vhost-limits/{A}/max-connections']],
  }),
  rule('DELETE', '/api/vhost-limits/{A}/max-connections', '401 401 401 401 401 204', {
    reset: [['PUT', '/api/vhost-limits/{A}/max-connections', LIMIT]],
  }),
  rule('PUT', '/api/user-limits/{subject}/max-channels', '401 401 401 401 401 204', {
    body: LIMIT,
    reset: [['DELETE', '/api/user-limits/{subject}/max-channels']],
  }),
  rule('DELETE', '/api/user-limits/{subject}/max-channels', '401 401 401 401 401 204', {
    reset: [['PUT', '/api/user-limits/{subject}/max-channels', LIMIT]],
  }),
  rule('PUT', '/api/policies/{A}/new', '401 401 401 201 401 201', {
    body: POLICY,
    reset: [['DELETE', '/api/policies/{A}/new']],
  }),
  rule('PUT', '/api/policies/{B}/new', '401 401 401 401 401 201', {
    body: POLICY,
    reset: [['DELETE', '/api/policies/{B}/new']],
  }),
  rule('DELETE', '/api/policies/{A}/new', '401 401 401 204 401 204', {
    reset: [['PUT', '/api/policies/{A}/new', POLICY]],
  }),
  rule('PUT', '/api/operator-policies/{A}/new', '401 401 401 401 401 201', {
    body: POLICY,
    reset: [['DELETE', '/api/operator-policies/{A}/new']],
  }),
  rule('DELETE', '/api/operator-policies/{A}/new', '401 401 401 401 401 204', {
    reset: [['PUT', '/api/operator-policies/{A}/new', POLICY]],
  }),
  rule('PUT', '/api/exchanges/{A}/new', '401 401 201 201 201 201', {
    body: { type: 'direct' },
    reset: [['DELETE', '/api/exchanges/{A}/new']],
  }),
  rule('PUT', '/api/exchanges/{B}/new', '401 401 401 401 401 401', {
    body: { type: 'direct' },
    reset: [['DELETE', '/api/exchanges/{B}/new']],
  }),
  rule('DELETE', '/api/exchanges/{A}/new', '401 401 204 204 204 204', {
    reset: [['PUT', '/api/exchanges/{A}/new', { type: 'direct' }]],
  }),
  rule('POST', '/api/exchanges/{A}/x/publish', '401 401 200 200 200 200', { body: PUBLISH }),
  rule('POST', '/api/exchanges/{B}/x/publish', '401 401 401 401 401 401', { body: PUBLISH }),
  rule('PUT', '/api/queues/{A}/new', '401 401 201 201 201 201', {
    body: QUEUE,
    reset: [['DELETE', '/api/queues/{A}/new']],
  }),
  rule('PUT', '/api/queues/{B}/new', '401 401 401 401 401 401', {
    body: QUEUE,
    reset: [['DELETE', '/api/queues/{B}/new']],
  }),
  rule('DELETE', '/api/queues/{A}/new', '401 401 204 204 204 204', {
    reset: [['PUT', '/api/queues/{A}/new', QUEUE]],
  }),
  rule('DELETE', '/api/queues/{A}/q/contents', '401 401 204 204 204 204'),
  rule('DELETE', '/api/queues/{B}/q/contents', '401 401 401 401 401 401'),
  rule('POST', '/api/queues/{A}/q/get', '401 401 200 200 200 200', { body: GET }),
  rule('POST', '/api/queues/{B}/q/get', '401 401 401 401 401 401', { body: GET }),
  rule('POST', '/api/bindings/{A}/e/x/q/q', '401 401 201 201 201 201', {
    body: { routing_key: 'new' },
    reset: [['DELETE', '/api/bindings/{A}/e/x/q/q/new']],
  }),
  rule('POST', '/api/bindings/{B}/e/x/q/q', '401 401 401 401 401 401', { body: { routing_key: 'new' } }),
  rule('DELETE', '/api/bindings/{A}/e/x/q/q/new', '401 401 204 204 204 204', {
    reset: [['POST', '/api/bindings/{A}/e/x/q/q', { routing_key: 'new' }]],
  }),
  rule('POST', '/api/bindings/{A}/e/x/e/x2', '401 401 201 201 201 201', {
    body: { routing_key: 'new' },
    reset: [['DELETE', '/api/bindings/{A}/e/x/e/x2/new']],
  }),
  rule('POST', '/api/definitions', ADMIN.replace('200', '204'), { body: {} }),
  rule('POST', '/api/definitions/{A}', ADMIN.replace('200', '204'), { body: {} }),
  // Last: these close connections the rows above use.
  rule('DELETE', '/api/connections/{other}', '401 401 401 401 401 204'),
  rule('DELETE', '/api/connections/{own}', '401 401 204 204 204 204'),
]
