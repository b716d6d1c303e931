/**
 * Process-wide transport settings for fetch: extra trusted CA certificates for servers
 * with a private CA, and the HTTP(S)_PROXY and NO_PROXY variables.
 *
 * node:crypto, node:tls and node:http are loaded with process.getBuiltinModule() where
 * they are used. Imported at the top, they would load for every command that imports this
 * module, even one that never connects, and loading node:crypto initialises OpenSSL.
 */

import { readFileSync } from 'node:fs';

import { AtsAuthError } from '../errors.ts';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

/** Reads the PEM certificates of a CA file, naming the file and the fix on any problem. */
export function readCaFile(path: string, origin: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new AtsAuthError('ERR_CONFIG', `Cannot read CA file ${path} from ${origin}: ${code}`, { cause: error });
  }

  const certificates = text.match(PEM_CERTIFICATE) ?? [];
  if (certificates.length === 0) {
    throw new AtsAuthError(
      'ERR_CONFIG',
      `Invalid CA file ${path} from ${origin}: no PEM "BEGIN CERTIFICATE" block found`,
    );
  }

  const { X509Certificate } = process.getBuiltinModule('node:crypto');
  for (const pem of certificates) {
    try {
      new X509Certificate(pem);
    } catch (error) {
      throw new AtsAuthError('ERR_CONFIG', `Invalid certificate in CA file ${path}: it does not parse`, {
        cause: error,
      });
    }
  }

  return certificates;
}

/** Trusts the certificates of `caFile` in addition to the default ones, for this process. */
export function trustCaFile(caFile: string, origin: string): void {
  const extra = readCaFile(caFile, origin);
  const { getCACertificates, setDefaultCACertificates } = process.getBuiltinModule('node:tls');
  setDefaultCACertificates([...getCACertificates('default'), ...extra]);
}

/**
 * Routes fetch through the proxy named by HTTP_PROXY or HTTPS_PROXY, except for the hosts
 * listed in NO_PROXY, when any of those variables is set.
 */
export function useProxyFromEnv(env: Readonly<Record<string, string | undefined>>): boolean {
  if (!PROXY_VARIABLES.some((name) => env[name])) return false;

  const proxyEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && /^(https?_proxy|no_proxy)$/i.test(name)) proxyEnv[name] = value;
  }
  process.getBuiltinModule('node:http').setGlobalProxyFromEnv(proxyEnv);

  return true;
}
