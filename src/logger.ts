/**
 * pino, one JSON line per event; pretty only on a terminal. Redaction is the second line of defence: request
 * logs carry method, url, status and request id, never bodies; keys and recipients are never logged on purpose.
 */
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.apiKey',
  '*.secretKeyMultibase',
  '*.secretKeyEnvelope',
  '*.privateKey',
  '*.masterKey',
  '*.recipient',
  '*.identity',
];

/** Request paths with their private link tokens (claim, wallet and exchange links) replaced: a token is a bearer secret. */
export const redactPath = (url: string): string => {
  const path = url.split('?')[0]!;
  let decoded = path;
  try {
    decoded = decodeURIComponent(path); // "/%63laim/<token>" routes to /claim/<token> too
  } catch {
    // a malformed escape is matched as it is
  }
  const pattern = /^(\/+)(claim|earner|exchanges)\/+[^/]+/i;
  return pattern.test(decoded) ? decoded.replace(pattern, '$1$2/[redacted]') : path;
};

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level: config.logLevel,
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: {
      req: (req: { method: string; url: string; id: string; headers?: Record<string, string> }) => ({
        method: req.method,
        url: redactPath(req.url),
        userAgent: req.headers?.['user-agent'],
      }),
    },
  };
  if (destination !== undefined) return pino(options, destination);
  if (process.stdout.isTTY) return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } });
  return pino(options);
}
