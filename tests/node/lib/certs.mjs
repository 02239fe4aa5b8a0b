// Copyright idgen authors.
//
// Certificates for TLS tests, made with the openssl command (Debian's
// openssl package): a CA, and leaf certificates it signs for servers
// (SAN 127.0.0.1, ::1, localhost) and clients (CN as given). EC P-256 keys,
// unencrypted PEM, in a directory of the caller's. For expiry and
// revocation, caDatabase() gives a CA the files `openssl ca` keeps, so that
// issue() can back-date or post-date a certificate, revoke() can revoke one
// and publishCrl() writes the CRL into a directory hashed by `openssl rehash`.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { FAKETIME_LIB } from './harness.mjs';

let opensslEnv = process.env;

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, env: opensslEnv, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20000 });
}

// Runs `fn` with the openssl command's clock an hour behind (libfaketime),
// so that what it makes is valid from an hour ago: for processes whose own
// clock a test sets behind.
export function backdated(fn) {
  opensslEnv = { ...process.env, LD_PRELOAD: FAKETIME_LIB, FAKETIME: '-1h', FAKETIME_NO_CACHE: '1' };
  try {
    return fn();
  } finally {
    opensslEnv = process.env;
  }
}

// Keys are mode 0600, as idgen requires of a private key file.
function newKey(dir, name) {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`], dir);
  const key = path.join(dir, `${name}.key`);
  chmodSync(key, 0o600);
  return key;
}

// A self-signed CA: { cert, key } paths.
export function makeCa(dir, name = 'ca', cn = 'idgen test CA') {
  const key = newKey(dir, name);
  openssl(
    ['req', '-x509', '-new', '-key', key, '-sha256', '-days', '2', '-subj', `/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-out', `${name}.pem`],
    dir,
  );
  return { cert: path.join(dir, `${name}.pem`), key };
}

// A leaf signed by `ca`: { cert, key, serial }. kind 'server' gets the
// loopback SANs; 'client' gets clientAuth; 'server+client' both (etcd with
// --client-cert-auth dials itself with its server certificate for its JSON
// gateway).
export function makeLeaf(dir, ca, name, { cn = name, kind = 'server', days = 1 } = {}) {
  const { key, ext } = request(dir, name, cn, kind);
  openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial',
      '-days', String(days), '-sha256', '-extfile', ext, '-out', `${name}.pem`],
    dir,
  );
  return leaf(dir, name, key);
}

// A key, a CSR and the extensions file for a leaf of `kind`.
function request(dir, name, cn, kind) {
  const key = newKey(dir, name);
  const ext = path.join(dir, `${name}.ext`);
  writeFileSync(
    ext,
    {
      server: 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
      client: 'extendedKeyUsage=clientAuth\n',
      'server+client': 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n',
    }[kind],
  );
  openssl(['req', '-new', '-key', key, '-subj', `/CN=${cn}`, '-out', `${name}.csr`], dir);
  return { key, ext };
}

function leaf(dir, name, key) {
  const cert = path.join(dir, `${name}.pem`);
  const serial = execFileSync('openssl', ['x509', '-noout', '-serial', '-in', cert], { encoding: 'utf8' })
    .trim()
    .replace(/^serial=/, '');
  return { cert, key, serial };
}

// A self-signed leaf (not a CA) of `kind`: { cert, key, serial }.
export function makeSelfSigned(dir, name, { cn = name, kind = 'client' } = {}) {
  const { key, ext } = request(dir, name, cn, kind);
  openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-key', key, '-days', '1', '-sha256', '-extfile', ext,
      '-out', `${name}.pem`],
    dir,
  );
  return leaf(dir, name, key);
}

// A private key file that claims the public key of `certFile` (P-256) but
// holds another private scalar: a SEC1 "EC PRIVATE KEY" whose public-key
// field is copied from the certificate. TLS libraries load it beside that
// certificate (they compare public keys), and a handshake that asks for the
// client's certificate then fails on its CertificateVerify signature: a
// client presenting a certificate it has no key for. Returns the path.
export function wrongKeyFor(dir, certFile, name) {
  const pub = crypto.createPublicKey(readFileSync(certFile)).export({ format: 'jwk' });
  const other = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const bytes = (b64url) => Buffer.from(b64url, 'base64url');
  const [d, x, y] = [bytes(other.d), bytes(pub.x), bytes(pub.y)];
  if (pub.crv !== 'P-256' || d.length !== 32 || x.length !== 32 || y.length !== 32) {
    throw new Error(`wrongKeyFor: ${certFile} has no P-256 key`);
  }
  const der = Buffer.concat([
    Buffer.from([0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20]), d, // SEQUENCE { version 1, privateKey
    Buffer.from([0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]), // [0] prime256v1
    Buffer.from([0xa1, 0x44, 0x03, 0x42, 0x00, 0x04]), x, y, // [1] BIT STRING, uncompressed point }
  ]);
  const lines = der.toString('base64').match(/.{1,64}/g).join('\n');
  const file = path.join(dir, `${name}.key`);
  writeFileSync(file, `-----BEGIN EC PRIVATE KEY-----\n${lines}\n-----END EC PRIVATE KEY-----\n`, { mode: 0o600 });
  return file;
}

// Gives `ca` (from makeCa) the database of `openssl ca`; returns `ca` with
// its config file as `ca.cnf`.
export function caDatabase(dir, ca, name = 'ca') {
  const db = path.join(dir, `${name}-db`);
  mkdirSync(path.join(db, 'new'), { recursive: true });
  writeFileSync(path.join(db, 'index.txt'), '');
  writeFileSync(path.join(db, 'serial'), '1000\n');
  writeFileSync(path.join(db, 'crlnumber'), '1000\n');
  const cnf = path.join(db, 'ca.cnf');
  writeFileSync(
    cnf,
    ['[ca]', 'default_ca = this_ca', '[this_ca]', `database = ${db}/index.txt`, `serial = ${db}/serial`,
      `crlnumber = ${db}/crlnumber`, `new_certs_dir = ${db}/new`, `certificate = ${ca.cert}`,
      `private_key = ${ca.key}`, 'default_md = sha256', 'default_crl_days = 2', 'policy = any',
      'unique_subject = no', 'copy_extensions = none', '[any]', 'commonName = supplied', ''].join('\n'),
  );
  return { ...ca, cnf };
}

// A leaf signed by `ca` (from caDatabase) with explicit validity:
// startdate/enddate as YYYYMMDDHHMMSSZ (back-date for an expired one,
// post-date for a not-yet-valid one), or `days` from now.
export function issue(dir, ca, name, { cn = name, kind = 'client', startdate, enddate, days = 1 } = {}) {
  const { key, ext } = request(dir, name, cn, kind);
  const validity = enddate ? ['-enddate', enddate] : ['-days', String(days)];
  if (startdate) validity.push('-startdate', startdate);
  openssl(
    ['ca', '-batch', '-notext', '-config', ca.cnf, '-in', `${name}.csr`, '-extfile', ext, ...validity,
      '-out', `${name}.pem`],
    dir,
  );
  return leaf(dir, name, key);
}

export function revoke(ca, cert) {
  openssl(['ca', '-batch', '-config', ca.cnf, '-revoke', cert.cert], path.dirname(ca.cnf));
}

// Writes `ca`'s current CRL into `crlDir` and hashes the directory, as
// --tls-crl-dir expects.
export function publishCrl(ca, crlDir, name = 'ca') {
  mkdirSync(crlDir, { recursive: true });
  openssl(['ca', '-batch', '-config', ca.cnf, '-gencrl', '-out', path.join(crlDir, `${name}.crl.pem`)], crlDir);
  openssl(['rehash', crlDir], crlDir);
}

// YYYYMMDDHHMMSSZ, `days` from now (negative: in the past).
export function asn1Time(days) {
  return `${new Date(Date.now() + days * 86400000).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

export const pem = (file) => readFileSync(file);
