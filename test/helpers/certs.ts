// A CA made for one test run with openssl, and certificates it signs: one for servers (127.0.0.1
// and localhost), one for clients. Files in a temporary directory the caller removes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCerts {
  readonly dir: string;
  readonly ca: string;
  readonly server: { readonly cert: string; readonly key: string };
  readonly client: { readonly cert: string; readonly key: string };
  /** A second CA that signed nothing here: trusting it must fail. */
  readonly otherCa: string;
  remove(): void;
}

export function makeCerts(): TestCerts {
  const dir = mkdtempSync(path.join(tmpdir(), 'jupiter-tls-'));
  const at = (name: string): string => path.join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const ca = (name: string): void => openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', at(`${name}.key`), '-out', at(`${name}.crt`), '-days', '2', '-subj', `/CN=${name}`);
  ca('test-ca');
  ca('other-ca');
  const signed = (name: string, extensions: string): void => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', `/CN=${name}`);
    writeFileSync(at(`${name}.ext`), extensions);
    openssl('x509', '-req', '-in', at(`${name}.csr`), '-CA', at('test-ca.crt'), '-CAkey', at('test-ca.key'), '-CAcreateserial', '-out', at(`${name}.crt`), '-days', '2', '-extfile', at(`${name}.ext`));
  };
  signed('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  signed('client', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    ca: at('test-ca.crt'),
    server: { cert: at('server.crt'), key: at('server.key') },
    client: { cert: at('client.crt'), key: at('client.key') },
    otherCa: at('other-ca.crt'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
