// The layer rules of docs/architecture.md, checked by `npm run lint` (dependency-cruiser over src/).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, between folders or between files.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-imports-only-shared',
      severity: 'error',
      comment: 'The broker core never sees a wire format, a store implementation or a front end.',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/(core|shared)/' },
    },
    {
      name: 'shared-is-a-leaf',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/shared/' },
    },
    {
      name: 'protocol-is-the-codec-only',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { path: '^src/', pathNot: '^src/(protocol|shared)/' },
    },
    {
      name: 'mqtt-is-a-front-end',
      severity: 'error',
      comment: 'The MQTT front end maps its packets onto the core Session: it never sees AMQP or its codec.',
      from: { path: '^src/mqtt/' },
      to: { path: '^src/', pathNot: '^src/(mqtt|core|auth|shared)/' },
    },
    {
      name: 'stomp-is-a-front-end',
      severity: 'error',
      comment: 'The STOMP front end maps its frames onto the core Session: it never sees AMQP or its codec.',
      from: { path: '^src/stomp/' },
      to: { path: '^src/', pathNot: '^src/(stomp|core|auth|shared)/' },
    },
    {
      name: 'front-ends-apart',
      severity: 'error',
      comment: 'Each protocol lives in its own folder; none imports another.',
      from: { path: '^src/(amqp|protocol|management)/' },
      to: { path: '^src/(mqtt|stomp)/' },
    },
    {
      name: 'management-never-sees-amqp',
      severity: 'error',
      comment: 'The HTTP API talks to the core, not to the AMQP layer or its codec.',
      from: { path: '^src/management/' },
      to: { path: '^src/(amqp|protocol)/' },
    },
    {
      name: 'only-boot-picks-implementations',
      severity: 'error',
      comment: 'Stores are picked and wired by boot/ alone.',
      from: { path: '^src/', pathNot: '^src/(boot|store)/' },
      to: { path: '^src/store/' },
    },
    {
      name: 'ctl-speaks-http-only',
      severity: 'error',
      comment: 'warren ctl is a client of the HTTP API.',
      from: { path: '^src/cli/ctl/' },
      to: { path: '^src/', pathNot: '^src/(cli/ctl|shared)/' },
    },
    {
      name: 'queue-types-behind-their-interface',
      severity: 'error',
      comment: "A queue type's folder is reached only through queue-types/index.ts and the Queue interface.",
      from: { path: '^src/', pathNot: '^src/core/queue-types/' },
      to: { path: '^src/core/queue-types/[^/]+/' },
    },
    {
      name: 'across-folders-through-index',
      severity: 'error',
      comment: "A folder's public surface is its index.ts: imports from another folder go through it.",
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/([^/]+)/.+', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^src/protocol/generated/' },
  },
}
