/** The CRI AuthConfig turned into what the registry protocol uses. */
import { InvalidArgumentError, type RegistryAuth } from '@criod/core';

export interface Credentials {
  /** For Basic auth and for the token endpoint's Basic auth. */
  basic?: { username: string; password: string };
  /** An OAuth2 refresh token, exchanged at the token endpoint (docker's identity token). */
  identityToken?: string;
  /** A bearer token sent to the registry as is. */
  registryToken?: string;
}

/** Decode a CRI AuthConfig; `auth` (base64 "user:password") is used when username is empty. */
export function credentialsFromAuth(auth: RegistryAuth | undefined): Credentials {
  if (!auth) return {};
  const creds: Credentials = {};
  if (auth.username !== '') {
    creds.basic = { username: auth.username, password: auth.password };
  } else if (auth.auth !== '') {
    const decoded = Buffer.from(auth.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new InvalidArgumentError('auth config "auth" must be base64 of "username:password"');
    creds.basic = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (auth.identityToken !== '') creds.identityToken = auth.identityToken;
  if (auth.registryToken !== '') creds.registryToken = auth.registryToken;
  return creds;
}

export function basicHeader(basic: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}`;
}
