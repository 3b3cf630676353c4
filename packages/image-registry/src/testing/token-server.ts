/**
 * A token server of the distribution token spec for tests: checks Basic credentials, issues
 * RS256 JWTs carrying an x5c certificate the registry trusts (key and cert made by `openssl`).
 */
import { randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSelfSignedCert } from './self-signed-cert.js';

export interface TokenServer {
  /** The realm URL to put in the registry's config. */
  realm: string;
  service: string;
  issuer: string;
  /** PEM certificate for the registry's rootcertbundle. */
  certPath: string;
  /** Every token request: the account it authenticated (or "" when anonymous) and the scope. */
  requests: { account: string; scope: string; granted: boolean }[];
  stop(): Promise<void>;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function reject(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message }] }));
}

export interface TokenServerOptions {
  /** name → password, checked on GET with Basic auth. */
  users: Record<string, string>;
  /** refresh token → account, for the OAuth2 POST with grant_type=refresh_token. */
  refreshTokens?: Record<string, string>;
  /** Grant pull to anonymous requests instead of refusing them. */
  anonymousPull?: boolean;
  service?: string;
  issuer?: string;
}

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const dir = await mkdtemp(join(tmpdir(), 'criod-token-'));
  const { keyPath, certPath } = await writeSelfSignedCert(dir, 'criod-test-token-issuer');
  const key = await readFile(keyPath, 'utf8');
  const certDer = new X509Certificate(await readFile(certPath)).raw;
  const service = options.service ?? 'criod-test-registry';
  const issuer = options.issuer ?? 'criod-test-issuer';
  const requests: TokenServer['requests'] = [];

  const handle = (req: IncomingMessage, res: ServerResponse, form: URLSearchParams) => {
    const url = new URL(req.url ?? '/', 'http://token');
    const params = req.method === 'POST' ? form : url.searchParams;
    const scope = params.get('scope') ?? '';
    let account = '';
    const header = req.headers.authorization ?? '';
    if (req.method === 'POST') {
      const refresh = form.get('refresh_token') ?? '';
      const owner = form.get('grant_type') === 'refresh_token' ? options.refreshTokens?.[refresh] : undefined;
      if (owner === undefined) {
        requests.push({ account: '', scope, granted: false });
        return reject(res, 401, 'invalid refresh token');
      }
      account = owner;
    } else if (header.startsWith('Basic ')) {
      const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
      if (user === undefined || options.users[user] !== rest.join(':')) {
        requests.push({ account: user ?? '', scope, granted: false });
        return reject(res, 401, 'invalid username or password');
      }
      account = user;
    } else if (!options.anonymousPull) {
      requests.push({ account: '', scope, granted: false });
      return reject(res, 401, 'authentication required');
    }
    const access = scope
      .split(' ')
      .filter(Boolean)
      .map((s) => {
        const [type, name, actions] = s.split(':');
        const allowed = (actions ?? '').split(',').filter((a) => account !== '' || a === 'pull');
        return { type, name, actions: allowed };
      });
    requests.push({ account, scope, granted: true });
    const now = Math.floor(Date.now() / 1000);
    const header64 = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] }));
    const claims64 = b64url(
      JSON.stringify({ iss: issuer, sub: account, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access }),
    );
    const signature = b64url(sign('sha256', Buffer.from(`${header64}.${claims64}`), key));
    res.writeHead(200, { 'content-type': 'application/json' });
    const token = `${header64}.${claims64}.${signature}`;
    res.end(JSON.stringify(req.method === 'POST' ? { access_token: token, expires_in: 300 } : { token, expires_in: 300, issued_at: new Date().toISOString() }));
  };

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => handle(req, res, new URLSearchParams(body)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPath,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
