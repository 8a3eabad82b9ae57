// A self-signed certificate for TLS listeners in tests (CN=localhost, one day), made with openssl.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

export interface CertFiles {
  cert: string
  key: string
}

/** Writes cert.pem and key.pem into `dir`; the certificate is its own CA, so clients can trust it. */
export function selfSignedCert(dir: string): CertFiles {
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') }
  const subject = ['-subj', '/CN=localhost', '-days', '1']
  const out = ['-keyout', files.key, '-out', files.cert]
  execFileSync('openssl', ['req', '-x509', '-nodes', '-newkey', 'rsa:2048', ...subject, ...out], {
    stdio: 'ignore',
  })
  return files
}
