/** WWW-Authenticate challenges (RFC 7235): `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */

export interface AuthChallenge {
  /** Lower-case scheme: "bearer", "basic". */
  scheme: string;
  params: Record<string, string>;
}

const tokenChar = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** Every challenge of a WWW-Authenticate header value, in order. */
export function parseChallenges(header: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < header.length && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < header.length && tokenChar.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  const readQuoted = () => {
    let value = '';
    i++; // opening quote
    while (i < header.length && header[i] !== '"') {
      if (header[i] === '\\' && i + 1 < header.length) i++;
      value += header[i];
      i++;
    }
    i++; // closing quote
    return value;
  };

  while (i < header.length) {
    skipSpace();
    while (header[i] === ',') {
      i++;
      skipSpace();
    }
    const scheme = readToken();
    if (scheme === '') break;
    const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    // Parameters until a token that is not followed by "=" starts the next challenge.
    for (;;) {
      skipSpace();
      const save = i;
      const key = readToken();
      skipSpace();
      if (key === '' || header[i] !== '=') {
        i = save;
        break;
      }
      i++;
      skipSpace();
      challenge.params[key.toLowerCase()] = header[i] === '"' ? readQuoted() : readToken();
      skipSpace();
      if (header[i] !== ',') break;
      i++;
    }
  }
  return out;
}
