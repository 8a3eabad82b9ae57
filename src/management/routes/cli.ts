// /cli/ and /cli/rabbitmqadmin. A RabbitMQ node serves its rabbitmqadmin script there, and scripts and
// docs download it with `curl -O http://host:15672/cli/rabbitmqadmin`. The script is RabbitMQ's (MPL 2.0)
// and cannot ship with Warren, so Warren serves, at the same path, a script that runs anywhere the real
// one would (`./rabbitmqadmin`, `python3 rabbitmqadmin`, Python 2 too) and says, on stderr with exit
// status 1, where to get a client that works against this broker and the command line to use, with this
// server's host and port. /cli/ (and RabbitMQ's /cli/index.html) say the same as text.
import type { FastifyInstance, FastifyRequest } from 'fastify'

/** The host and port the client used, when they look like one (never echo anything else back). */
function endpoint(req: FastifyRequest): { host: string; port: string } {
  const raw = req.headers.host ?? ''
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(raw)
  return m ? { host: m[1] as string, port: m[2] ?? '80' } : { host: 'localhost', port: '15672' }
}

/** The clients that work against this server, each with a command line for this host and port. */
function clients(host: string, port: string): string[] {
  const bare = host.replace(/^\[|\]$/g, '') // rabbitmqadmin takes an IPv6 address without brackets
  const login = '<user> -p <password>'
  return [
    "These clients work against this server (it answers RabbitMQ's HTTP API):",
    '',
    "  * rabbitmqadmin, RabbitMQ's Python script. On Debian or Ubuntu, take it out of the",
    '    rabbitmq-server package without installing (and starting) a RabbitMQ broker:',
    '      apt-get download rabbitmq-server && dpkg-deb -x rabbitmq-server_*.deb rabbitmq',
    `      python3 rabbitmq/usr/bin/rabbitmqadmin -H ${bare} -P ${port} -u ${login} list queues`,
    '    or download it from a RabbitMQ node: http://<rabbitmq-node>:15672/cli/rabbitmqadmin',
    '',
    '  * rabbitmqadmin 2, one binary: https://github.com/rabbitmq/rabbitmqadmin-ng/releases',
    `      rabbitmqadmin --host ${bare} --port ${port} --username <user> --password <password> list queues`,
    '',
    "  * warren ctl, Warren's rabbitmqctl, installed with Warren (npm install -g warren):",
    `      warren ctl --url http://${host}:${port}/ --username <user> --password <password> list_queues`,
  ]
}

function script(host: string, port: string): string {
  const message = [
    `rabbitmqadmin: this file was downloaded from Warren at ${host}:${port}, not from a RabbitMQ node.`,
    "Warren is a RabbitMQ-compatible broker; RabbitMQ's rabbitmqadmin script is part of RabbitMQ",
    '(MPL 2.0) and is not served here.',
    '',
    ...clients(host, port),
    '',
  ].join('\n')
  return [
    '#!/usr/bin/env python3',
    "# Served by Warren at /cli/rabbitmqadmin in place of RabbitMQ's script: it says where to get one.",
    'import sys',
    // A JSON string is a valid Python string literal; host and port are checked by endpoint().
    `sys.stderr.write(${JSON.stringify(message)})`,
    'sys.exit(1)',
    '',
  ].join('\n')
}

function page(host: string, port: string): string {
  const title = `Command-line tools for Warren at ${host}:${port}`
  return [
    title,
    '='.repeat(title.length),
    '',
    'RabbitMQ serves its rabbitmqadmin script here; it is part of RabbitMQ (MPL 2.0), so Warren does not.',
    '',
    ...clients(host, port),
    '',
  ].join('\n')
}

export function registerCliRoutes(app: FastifyInstance): void {
  app.get('/cli/rabbitmqadmin', (req, reply) => {
    const { host, port } = endpoint(req)
    return reply
      .type('text/x-python; charset=utf-8')
      .header('content-disposition', 'attachment; filename="rabbitmqadmin"')
      .send(script(host, port))
  })
  for (const path of ['/cli/', '/cli/index.html']) {
    app.get(path, (req, reply) => {
      const { host, port } = endpoint(req)
      return reply.type('text/plain; charset=utf-8').send(page(host, port))
    })
  }
}
