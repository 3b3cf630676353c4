/**
 * Registry authorization: the Bearer token flow of the distribution token spec (anonymous, with
 * Basic credentials at the realm, or an OAuth2 refresh token), plain Basic auth, and a bearer
 * registry token sent as is. Tokens are cached per host and scope until they expire.
 */
import { FailedPreconditionError, InternalError, type Logger } from '@criod/core';
import { parseChallenges } from './challenge.js';
import { basicHeader, type Credentials } from './credentials.js';
import { authenticationRequired, credentialsRejected, describeRegistryError } from './errors.js';
import type { RegistryHttp } from './http.js';

/** Tokens without expires_in live this long, as the token spec says. */
const defaultTokenLifetimeS = 60;
/** Renew a token this long before it expires. */
const expiryMarginMs = 5_000;
const clientId = 'criod';

interface CachedToken {
  token: string;
  expiresAt: number;
}

export class Authorizer {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  /** Hosts that asked for Basic auth. */
  private readonly basicHosts = new Set<string>();

  constructor(
    private readonly http: RegistryHttp,
    private readonly credentials: Credentials,
    private readonly logger?: Logger,
  ) {}

  get hasCredentials(): boolean {
    return this.credentials.basic !== undefined || this.credentials.identityToken !== undefined || this.credentials.registryToken !== undefined;
  }

  /** The Authorization header for a request to `host` needing `scope`, when one is known. */
  header(host: string, scope: string): string | undefined {
    if (this.credentials.registryToken !== undefined) return `Bearer ${this.credentials.registryToken}`;
    if (this.basicHosts.has(host) && this.credentials.basic) return basicHeader(this.credentials.basic);
    const cached = this.tokens.get(`${host} ${scope}`);
    return cached && cached.expiresAt - expiryMarginMs > Date.now() ? `Bearer ${cached.token}` : undefined;
  }

  /**
   * Answer a 401: get what its challenge asks for, so the request can be sent again. `sent` is the
   * Authorization header the refused request carried; throws when nothing more can be tried.
   */
  async answer(host: string, scope: string, insecure: boolean, challengeHeader: string | undefined, sent: string | undefined, what: string): Promise<void> {
    const challenges = parseChallenges(challengeHeader ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer) {
      if (this.credentials.registryToken !== undefined) throw credentialsRejected(what, 'the registry token was refused');
      if (sent?.startsWith('Bearer ')) {
        // The realm issued a token the registry does not accept for this scope.
        throw this.hasCredentials
          ? credentialsRejected(what, `the token issued for ${scope} was refused`)
          : authenticationRequired(what, `anonymous token for ${scope} was refused`);
      }
      const key = `${host} ${scope}`;
      let pending = this.inflight.get(key);
      if (!pending) {
        pending = this.fetchToken(bearer.params.realm!, bearer.params.service, scope, insecure, what).finally(() => this.inflight.delete(key));
        this.inflight.set(key, pending);
      }
      this.tokens.set(key, await pending);
      return;
    }
    if (basic) {
      if (!this.credentials.basic) throw authenticationRequired(what, `Basic realm ${JSON.stringify(basic.params.realm ?? '')}`);
      if (sent?.startsWith('Basic ')) throw credentialsRejected(what, `Basic auth for user ${JSON.stringify(this.credentials.basic.username)} was refused`);
      this.basicHosts.add(host);
      return;
    }
    throw new FailedPreconditionError(`${what}: the registry answered 401 without a usable challenge (${JSON.stringify(challengeHeader ?? '')})`);
  }

  private async fetchToken(realm: string, service: string | undefined, scope: string, insecure: boolean, what: string): Promise<CachedToken> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new FailedPreconditionError(`${what}: the registry's token realm ${JSON.stringify(realm)} is not a URL`);
    }
    const tokenWhat = `${what}: token from ${url.host}`;
    const { basic, identityToken } = this.credentials;
    let res;
    if (identityToken !== undefined) {
      // OAuth2 refresh-token grant, as docker does with an identity token.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: identityToken, client_id: clientId, scope });
      if (service) form.set('service', service);
      res = await this.http.send(
        url,
        { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form.toString()) },
        insecure,
        tokenWhat,
      );
    } else {
      if (service) url.searchParams.set('service', service);
      url.searchParams.set('scope', scope);
      if (basic) url.searchParams.set('account', basic.username);
      res = await this.http.send(url, { headers: basic ? { authorization: basicHeader(basic) } : {} }, insecure, tokenWhat);
    }
    if (res.status === 401 || res.status === 403) {
      const detail = `${url.host} answered ${describeRegistryError(res.status, await res.errorText())}`;
      throw this.hasCredentials ? credentialsRejected(what, detail) : authenticationRequired(what, detail);
    }
    if (!res.ok) throw new InternalError(`${tokenWhat}: ${describeRegistryError(res.status, await res.errorText())}`);
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse((await res.bytes(1024 * 1024, tokenWhat)).toString('utf8')) as typeof body;
    } catch (err) {
      throw new InternalError(`${tokenWhat}: the answer is not JSON`, { cause: err });
    }
    const token = typeof body.token === 'string' && body.token !== '' ? body.token : body.access_token;
    if (typeof token !== 'string' || token === '') throw new InternalError(`${tokenWhat}: the answer has no token`);
    const lifetimeS = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : defaultTokenLifetimeS;
    this.logger?.debug({ realm: url.origin + url.pathname, scope, lifetimeS }, 'registry token obtained');
    return { token, expiresAt: Date.now() + lifetimeS * 1000 };
  }
}
