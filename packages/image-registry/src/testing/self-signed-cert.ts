import { join } from 'node:path';
import { execa } from 'execa';

/** A self-signed RSA key and certificate for `commonName`, made by `openssl` as key.pem and cert.pem in `dir`. */
export async function writeSelfSignedCert(dir: string, commonName: string): Promise<{ keyPath: string; certPath: string }> {
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', `/CN=${commonName}`]);
  return { keyPath, certPath };
}
