// Copyright idgen authors.
//
// Certificates for TLS tests, made with the openssl command (Debian's
// openssl package): a CA, and leaf certificates it signs for servers
// (SAN 127.0.0.1, ::1, localhost) and clients (CN as given). EC P-256 keys,
// unencrypted PEM, in a directory of the caller's.
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20000 });
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
  openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial',
      '-days', String(days), '-sha256', '-extfile', ext, '-out', `${name}.pem`],
    dir,
  );
  const cert = path.join(dir, `${name}.pem`);
  const serial = execFileSync('openssl', ['x509', '-noout', '-serial', '-in', cert], { encoding: 'utf8' })
    .trim()
    .replace(/^serial=/, '');
  return { cert, key, serial };
}

export const pem = (file) => readFileSync(file);
