/**
 * Secret redaction for log output, applied to every serialized line before it is written
 * (pino's streamWrite hook), so it holds at any depth — fields, nested request dumps, error
 * messages, stacks and causes:
 * 1. by key: the value of any JSON field named like a credential (apiKey, secret, password,
 *    token, authorization, signature, ...) is replaced;
 * 2. by value: every known secret value (the configured API key and secret, tokens) is replaced
 *    wherever it appears, in its plain, JSON-escaped and URL-encoded spellings.
 */
export const REDACTED = '[REDACTED]';

const SECRET_KEY_PATTERN = /"((?:[\w-]*(?:api[-_]?key|secret|password|passphrase|token|authorization|signature|private[-_]?key)[\w-]*))":"(?:[^"\\]|\\.)*"/gi;

/** Secrets shorter than this are not scrubbed by value (they would match ordinary text). */
const MIN_SECRET_LENGTH = 6;

/** Builds the line scrubber for the given secret values. */
export function makeLineScrubber(secrets: readonly (string | undefined)[]): (line: string) => string {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH) continue;
    needles.add(secret);
    needles.add(JSON.stringify(secret).slice(1, -1));
    needles.add(encodeURIComponent(secret));
  }
  const list = [...needles].sort((a, b) => b.length - a.length);
  return (line) => {
    let out = line.replace(SECRET_KEY_PATTERN, `"$1":"${REDACTED}"`);
    for (const needle of list) {
      if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    }
    return out;
  };
}
