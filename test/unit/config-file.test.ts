// warren.conf: RabbitMQ's keys, values with units, every error path with file:line and a one-line
// reason, the environment's RabbitMQ and Warren names, and precedence flags > env > file > defaults.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, test } from 'node:test'
import {
  combineLayers,
  ConfigError,
  DEFAULTS,
  flagLayer,
  readConfFile,
  settingsFromEnv,
} from '../../src/config/index.js'

const dir = mkdtempSync(join(tmpdir(), 'warren-conf-'))
after(() => rmSync(dir, { recursive: true, force: true }))
let n = 0

function confFile(text: string): string {
  const path = join(dir, `w${n++}.conf`)
  writeFileSync(path, text)
  return path
}

async function refused(text: string): Promise<string> {
  const path = confFile(text)
  try {
    await readConfFile(path)
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err))
    assert.ok(!err.message.includes('\n'), 'one line')
    return err.message.replace(path, 'FILE')
  }
  assert.fail(`accepted: ${text}`)
}

test('RabbitMQ keys set their settings, with comments, blank lines, quotes and units', async () => {
  const path = confFile(
    [
      '# a rabbitmq.conf copied over',
      '',
      'listeners.tcp.default = 127.0.0.1:5673',
      'management.tcp.port = 15673',
      'management.tcp.ip = ::1',
      'prometheus.tcp.port = 15693',
      'default_user = app',
      'default_pass = "  spaced secret "',
      'default_vhost = prod',
      'default_user_tags.monitoring = true',
      'default_permissions.read = ^app\\.',
      'loopback_users.guest = false',
      'vm_memory_high_watermark.absolute = 2GiB',
      'disk_free_limit.absolute = 1GB',
      'load_definitions = /etc/warren/definitions.json',
      'log.console.level = warning',
      'log.console.formatter = json',
      'log.file = false',
      'listeners.ssl.default = 5671',
      'ssl_options.certfile = /c.pem',
      'ssl_options.keyfile = /k.pem',
      'ssl_options.cacertfile = /ca.pem',
      'ssl_options.verify = verify_peer',
      'ssl_options.fail_if_no_peer_cert = true',
      'frame_max = 65536',
      'heartbeat = 30',
    ].join('\n'),
  )
  const { values, origins } = await readConfFile(path)
  assert.deepEqual(values, {
    amqpPort: 5673,
    bind: '127.0.0.1',
    httpPort: 15673,
    httpBind: '::1',
    prometheusPort: 15693,
    defaultUser: 'app',
    defaultPass: '  spaced secret ',
    defaultVhost: 'prod',
    defaultUserTags: ['monitoring'],
    defaultPermissions: { configure: '.*', write: '.*', read: '^app\\.' },
    loopbackUsers: [],
    memoryHighWatermark: 2 * 1024 ** 3,
    diskFreeLimit: 1e9,
    loadDefinitions: '/etc/warren/definitions.json',
    logLevel: 'warn',
    logFormat: 'json',
    tlsPort: 5671,
    tlsCert: '/c.pem',
    tlsKey: '/k.pem',
    tlsCa: '/ca.pem',
    tlsVerifyPeer: true,
    tlsFailIfNoPeerCert: true,
    frameMax: 65536,
    heartbeat: 30,
  })
  assert.equal(origins.amqpPort, `${path}:3`)
  assert.equal(origins.heartbeat, `${path}:26`)
})

test('ports, IPv6 listeners, relative limits and the other spellings', async () => {
  const { values } = await readConfFile(
    confFile(
      'listeners.tcp.local_v6 = [::1]:5674\nvm_memory_high_watermark.relative = 0.6\n' +
        'disk_free_limit.relative = 1.5\nloopback_users = none\nlog.console.level = none\n',
    ),
  )
  assert.equal(values.amqpPort, 5674)
  assert.equal(values.bind, '::1')
  assert.equal(values.memoryHighWatermark, 0.6)
  assert.equal(values.diskFreeLimit, Math.round(1.5 * totalmem()))
  assert.deepEqual(values.loopbackUsers, [])
  assert.equal(values.logLevel, 'silent')
  const plain = await readConfFile(
    confFile('listeners.tcp.default = 5675\ndisk_free_limit.absolute = 512M\n'),
  )
  assert.equal(plain.values.amqpPort, 5675)
  assert.equal(plain.values.bind, undefined)
  assert.equal(plain.values.diskFreeLimit, 512 * 1024 ** 2)
})

test('mqtt.topic_alias_maximum: 16 by default, 0 turns MQTT 5 topic aliases off', async () => {
  assert.equal(DEFAULTS.mqttTopicAliasMaximum, 16)
  const { values } = await readConfFile(confFile('mqtt.topic_alias_maximum = 0\n'))
  assert.equal(values.mqttTopicAliasMaximum, 0)
  assert.match(await refused('mqtt.topic_alias_maximum = -1\n'), /whole number/)
})

test('every mistake names the file, the line and the reason', async () => {
  const cases: Array<[string, string]> = [
    [
      'listener.tcp.default = 5672',
      `FILE:1: unknown setting 'listener.tcp.default' (did you mean 'listeners.tcp.default'?)`,
    ],
    ['\n\nno_such_thing = 1', `FILE:3: unknown setting 'no_such_thing'`],
    ['default_user', `FILE:1: expected 'key = value', got 'default_user'`],
    ['default_user =', 'FILE:1: default_user has no value'],
    ['bad key = 1', `FILE:1: 'bad key' is not a setting name (words separated by dots)`],
    ['listeners.tcp.default = 70000', `FILE:1: invalid port '70000': expected a port number 0-65535`],
    ['listeners.tcp.default = localhost', `FILE:1: 'localhost' is not a port or address:port`],
    ['vm_memory_high_watermark.relative = 3', `FILE:1: expected a number above 0 and at most 1, got '3'`],
    ['disk_free_limit.absolute = lots', `FILE:1: expected a size such as 50000000, 50MB or 2GiB, got 'lots'`],
    ['disk_free_limit.absolute = 5XB', `FILE:1: expected a size such as 50000000, 50MB or 2GiB, got '5XB'`],
    ['loopback_users.guest = maybe', `FILE:1: expected true or false, got 'maybe'`],
    [
      'log.console.level = loud',
      `FILE:1: invalid log level 'loud': expected one of trace, debug, info, warn, error, fatal, silent`,
    ],
    ['ssl_options.verify = sometimes', `FILE:1: expected verify_peer or verify_none, got 'sometimes'`],
    ['heartbeat = -1', `FILE:1: expected a whole number ≥ 0, got '-1'`],
    ['frame_max = 100', `FILE:1: expected a whole number ≥ 4096, got '100'`],
    [
      'cluster_formation.peer_discovery_backend = classic_config',
      `FILE:1: Warren clusters through etcd only: 'etcd' (docs/clustering.md)`,
    ],
    [
      'cluster_formation.classic_config.nodes.1 = rabbit@a',
      'FILE:1: cluster_formation.classic_config.nodes.1 is not supported: Warren clusters through etcd: cluster_formation.etcd.endpoints.<n> = host:port',
    ],
    [
      'log.file = /var/log/rabbitmq.log',
      'FILE:1: Warren writes no log files: it logs to stdout (journald, docker logs); set log.file = false or remove the line',
    ],
    [
      'management.ssl.port = 15671',
      'FILE:1: management.ssl.port is not supported: the HTTP listeners speak plain HTTP; put a TLS proxy in front',
    ],
  ]
  for (const [text, message] of cases) assert.equal(await refused(text), message, text)
})

test('a missing, unreadable or directory configuration file is one line', async () => {
  await assert.rejects(readConfFile(join(dir, 'nope.conf')), {
    message: `configuration file ${join(dir, 'nope.conf')} not found`,
  })
  await assert.rejects(readConfFile(dir), { message: `configuration file ${dir} is a directory` })
  // RABBITMQ_CONFIG_FILE is often given without the extension.
  const path = confFile('heartbeat = 5\n')
  assert.equal((await readConfFile(path.replace(/\.conf$/, ''))).values.heartbeat, 5)
})

test('the environment: RabbitMQ names, WARREN_ names win, empty counts as unset, bad values refused', () => {
  const env = settingsFromEnv({
    RABBITMQ_DEFAULT_USER: 'rabbit-user',
    RABBITMQ_DEFAULT_PASS: 'rabbit-pass',
    RABBITMQ_DEFAULT_VHOST: 'rv',
    RABBITMQ_NODE_PORT: '5680',
    WARREN_DEFAULT_USER: 'warren-user',
    WARREN_BIND: '',
  })
  assert.deepEqual(env.values, {
    defaultUser: 'warren-user',
    defaultPass: 'rabbit-pass',
    defaultVhost: 'rv',
    amqpPort: 5680,
  })
  assert.equal(env.origins.defaultUser, 'WARREN_DEFAULT_USER')
  assert.equal(env.origins.defaultPass, 'RABBITMQ_DEFAULT_PASS')
  assert.throws(() => settingsFromEnv({ RABBITMQ_NODE_PORT: 'x' }), /invalid RABBITMQ_NODE_PORT 'x'/)
  assert.throws(() => settingsFromEnv({ WARREN_LOG_FORMAT: 'xml' }), /expected text or json/)
})

test('precedence: flags over environment over file over defaults, with the source of each', async () => {
  const path = confFile('listeners.tcp.default = 5601\nmanagement.tcp.port = 15601\nheartbeat = 11\n')
  const file = await readConfFile(path)
  const env = settingsFromEnv({ WARREN_HTTP_PORT: '15602', WARREN_AMQP_PORT: '5602' })
  const { config, sources } = combineLayers([
    file,
    { values: env.values, origins: env.origins },
    flagLayer({ amqpPort: 5603 }),
  ])
  assert.equal(config.amqpPort, 5603)
  assert.equal(sources.amqpPort, 'flag --amqp-port')
  assert.equal(config.httpPort, 15602)
  assert.equal(sources.httpPort, 'WARREN_HTTP_PORT')
  assert.equal(config.heartbeat, 11)
  assert.equal(sources.heartbeat, `${path}:3`)
  assert.equal(config.channelMax, DEFAULTS.channelMax)
  assert.equal(sources.channelMax, 'default')
})

test('the example configuration in deploy/ is valid', async () => {
  const example = fileURLToPath(new URL('../../../deploy/warren.conf.example', import.meta.url))
  const { values } = await readConfFile(example)
  assert.equal(values.amqpPort, 5672)
  assert.equal(values.diskFreeLimit, 50e6)
})
