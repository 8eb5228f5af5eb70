import { X509Certificate, createPrivateKey } from 'node:crypto';
import { InputError } from '../../core/src/index.js';
import type { TlsPair } from './spec.js';

export interface CertificateFacts {
  subject: string;
  notAfter: Date;
  /** Host names the certificate does not cover. */
  uncovered: string[];
  keyMatches: boolean;
}

/** Read a PEM pair; refused (naming the input) when it is not a certificate or a key. */
export function certificateFacts(pair: TlsPair, hostnames: readonly string[]): CertificateFacts {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pair.certificate);
  } catch {
    throw new InputError(
      'tls-certificate',
      'is not a PEM certificate',
      'paste the certificate file (BEGIN CERTIFICATE)'
    );
  }
  let keyMatches: boolean;
  try {
    keyMatches = cert.checkPrivateKey(createPrivateKey(pair.key));
  } catch {
    throw new InputError(
      'tls-key',
      'is not a PEM private key',
      'paste the unencrypted key file (BEGIN PRIVATE KEY)'
    );
  }
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    notAfter: new Date(cert.validTo),
    uncovered: hostnames.filter((h) => cert.checkHost(h) === undefined),
    keyMatches
  };
}

/**
 * Refuse, before any host is touched, a pair that cannot serve the host names: a key of another certificate,
 * a certificate that expired (or expires within `minValidMs`), or one that does not name every host name.
 */
export function checkTlsPair(
  pair: TlsPair,
  hostnames: readonly string[],
  now: Date = new Date(),
  minValidMs = 0
): CertificateFacts {
  const f = certificateFacts(pair, hostnames);
  if (!f.keyMatches)
    throw new InputError(
      'tls-key',
      `does not belong to the certificate of ${f.subject}`,
      'give the key the certificate was issued for'
    );
  if (f.notAfter.getTime() - minValidMs <= now.getTime())
    throw new InputError(
      'tls-certificate',
      `expired (not after ${f.notAfter.toISOString()})`,
      'renew it and update the secret'
    );
  if (f.uncovered.length)
    throw new InputError(
      'tls-certificate',
      `does not cover ${f.uncovered.join(', ')} (${f.subject})`,
      'give a certificate whose names (subjectAltName) include every public-hostnames entry'
    );
  return f;
}
