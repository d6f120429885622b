/**
 * Test certificates made with the openssl CLI in a temporary directory: a CA, a server certificate for
 * 127.0.0.1/localhost (and extra DNS names), and client certificates signed by the CA (for mTLS), plus a
 * second, untrusted CA. Files and PEM texts are returned; nothing is written outside the temp directory.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

export interface CertFiles {
  certFile: string
  keyFile: string
  cert: string
  key: string
}

export interface TestPki {
  dir: string
  caFile: string
  ca: string
  server: CertFiles
  client: CertFiles
  /** A client certificate from another CA, which servers must refuse. */
  strangerClient: CertFiles
}

/** Runs `openssl <command line>` in dir; the words are split on spaces (file names here have none). */
function openssl(dir: string, commandLine: string): void {
  execFileSync('openssl', commandLine.split(' '), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
}

function files(dir: string, name: string): CertFiles {
  const certFile = path.join(dir, `${name}.crt`)
  const keyFile = path.join(dir, `${name}.key`)
  return { certFile, keyFile, cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') }
}

function makeCa(dir: string, name: string): void {
  openssl(dir, `req -x509 -newkey rsa:2048 -nodes -keyout ${name}.key -out ${name}.crt -days 2 -subj /CN=${name}`)
}

function makeSigned(dir: string, ca: string, name: string, ext: string): void {
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext)
  openssl(dir, `req -newkey rsa:2048 -nodes -keyout ${name}.key -out ${name}.csr -subj /CN=${name}`)
  openssl(dir, `x509 -req -in ${name}.csr -CA ${ca}.crt -CAkey ${ca}.key -CAcreateserial -out ${name}.crt -days 2 -extfile ${name}.ext`)
}

/** Creates a fresh PKI; `dnsNames` are added to the server certificate besides localhost and 127.0.0.1. */
export function makeTestPki(dnsNames: string[] = []): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nva-pki-'))
  makeCa(dir, 'test-ca')
  makeCa(dir, 'stranger-ca')
  const san = ['DNS:localhost', 'IP:127.0.0.1', ...dnsNames.map((d) => `DNS:${d}`)].join(',')
  makeSigned(dir, 'test-ca', 'server', `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`)
  makeSigned(dir, 'test-ca', 'client', 'extendedKeyUsage=clientAuth\n')
  makeSigned(dir, 'stranger-ca', 'stranger-client', 'extendedKeyUsage=clientAuth\n')
  const caFile = path.join(dir, 'test-ca.crt')
  return {
    dir,
    caFile,
    ca: fs.readFileSync(caFile, 'utf8'),
    server: files(dir, 'server'),
    client: files(dir, 'client'),
    strangerClient: files(dir, 'stranger-client')
  }
}
