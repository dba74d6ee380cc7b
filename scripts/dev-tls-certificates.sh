#!/bin/sh
# Makes a throwaway CA and certificates for trying Kassa with TLS (docker-compose.tls.yml):
#   scripts/dev-tls-certificates.sh [directory]          # default .data/tls
# ca.crt         the CA everything trusts (TLS_CA_FILE, KASSA_TLS_CA_FILE)
# tls.crt/.key   one certificate for all six services: their compose names, localhost and
#                127.0.0.1; server and client authentication (each also calls the others)
# operator.crt/.key  a client certificate for the kassa CLI (KASSA_TLS_CERT_FILE/KEY_FILE)
# For development only: in production give each service its own certificate from your CA
# (deploy/k8s-tls/certificates.example.yaml does it with cert-manager).
set -eu
dir="${1:-.data/tls}"
mkdir -p "$dir"
cd "$dir"
days=30
services="gateway merchant order channel risk accounting"

new_key() { echo -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1"; }

# shellcheck disable=SC2046 # new_key's words are separate arguments on purpose
openssl req -x509 -new $(new_key ca.key) -out ca.crt -days "$days" -subj "/CN=Kassa development CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# sign NAME SUBJECT EXTENDED_KEY_USAGE [SUBJECT_ALT_NAMES]
sign() {
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature"
    echo "extendedKeyUsage=$3"
    if [ -n "${4:-}" ]; then echo "subjectAltName=$4"; fi
  } > "$1.ext"
  # shellcheck disable=SC2046
  openssl req -new $(new_key "$1.key") -out "$1.csr" -subj "/CN=$2"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 8)" \
    -days "$days" -extfile "$1.ext" -out "$1.crt"
  rm "$1.csr" "$1.ext"
}

names="DNS:localhost,IP:127.0.0.1"
for service in $services; do names="$names,DNS:$service"; done
sign tls kassa-services "serverAuth,clientAuth" "$names"
sign operator kassa-operator "clientAuth"

# The containers run as uid 1000, which may not be yours: let them read the service key.
chmod 644 tls.key
echo "TLS material for development in $dir (valid $days days): ca.crt, tls.crt/.key, operator.crt/.key"
