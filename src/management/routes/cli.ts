// /cli/ and /cli/rabbitmqadmin. A RabbitMQ node serves its rabbitmqadmin script there, and scripts and
// docs download it with `curl -O http://host:15672/cli/rabbitmqadmin`. The script is RabbitMQ's (MPL 2.0)
// and cannot ship with Warren, so Warren serves, at the same path, a script that runs anywhere the real
// one would and says, on stderr with exit status 1, where to get a client that works against this broker
// and the command line to use, with this server's host and port.
import type { FastifyInstance, FastifyRequest } from 'fastify'

/** The host and port the client used, when they look like one (never echo anything else back). */
function endpoint(req: FastifyRequest): { host: string; port: string } {
  const raw = req.headers.host ?? ''
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(raw)
  return m ? { host: m[1] as string, port: m[2] ?? '80' } : { host: 'localhost', port: '15672' }
}

function guidance(host: string, port: string): string {
  const bare = host.replace(/^\[|\]$/g, '')
  return [
    "This server is Warren, a RabbitMQ-compatible broker. RabbitMQ's rabbitmqadmin script is",
    'part of RabbitMQ (MPL 2.0) and is not served here. These clients work against this server:',
    '',
    "  * RabbitMQ's rabbitmqadmin, from any RabbitMQ installation (Debian and Ubuntu:",
    '    apt-get install rabbitmq-server puts it in /usr/bin/rabbitmqadmin; the broker need not run),',
    '    or from any RabbitMQ node at http://<node>:15672/cli/rabbitmqadmin:',
    `      rabbitmqadmin -H ${bare} -P ${port} -u <user> -p <password> list queues`,
    '',
    '  * rabbitmqadmin 2 (one binary: https://github.com/rabbitmq/rabbitmqadmin-ng/releases):',
    `      rabbitmqadmin --host ${bare} --port ${port} --username <user> --password <password> list queues`,
    '',
    "  * warren ctl, Warren's rabbitmqctl (npm install -g warren):",
    `      warren ctl --url http://<user>:<password>@${host}:${port}/ list_queues`,
  ].join('\n')
}

export function registerCliRoutes(app: FastifyInstance): void {
  app.get('/cli/rabbitmqadmin', (req, reply) => {
    const { host, port } = endpoint(req)
    const script = [
      '#!/usr/bin/env python3',
      "# Served by Warren at /cli/rabbitmqadmin in place of RabbitMQ's script: it says where to get one.",
      'import sys',
      `sys.stderr.write(${JSON.stringify(guidance(host, port) + '\n')})`,
      'sys.exit(1)',
      '',
    ].join('\n')
    return reply
      .type('text/x-python; charset=utf-8')
      .header('content-disposition', 'attachment; filename="rabbitmqadmin"')
      .send(script)
  })
  app.get('/cli/', (req, reply) => {
    const { host, port } = endpoint(req)
    return reply.type('text/plain; charset=utf-8').send(guidance(host, port) + '\n')
  })
}
