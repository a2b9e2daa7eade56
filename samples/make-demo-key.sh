#!/bin/sh
# Makes a throw-away, self-signed demo signing key and certificate in DIR
# (default: demo/), mode 0600, never to be committed: DIR/demo-key.pem and
# DIR/demo-cert.pem, valid from 2024-01-01 to 2099-12-31 so that any
# --as-of date of the sample story verifies.  Refuses to overwrite.
set -eu
dir=${1:-demo}
mkdir -p "$dir"
umask 077
[ -e "$dir/demo-key.pem" ] && { echo "$dir/demo-key.pem exists: kept"; exit 0; }
work=$(mktemp -d "$dir/.pki.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat >"$work/ca.cnf" <<CNF
[ req ]
distinguished_name = dn
prompt = no
utf8 = yes
string_mask = utf8only
[ dn ]
CN = Mandate Demo Signer (not for real documents)
O = Mandate Consulting (demo)
[ ca ]
default_ca = demo
[ demo ]
dir = $work
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[ any ]
commonName = supplied
organizationName = optional
[ ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
CNF
: >"$work/index.txt"
echo 01 >"$work/serial"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$dir/demo-key.pem" 2>/dev/null
openssl req -new -config "$work/ca.cnf" -key "$dir/demo-key.pem" \
	-out "$work/demo.csr"
openssl ca -batch -config "$work/ca.cnf" -selfsign -keyfile "$dir/demo-key.pem" \
	-in "$work/demo.csr" -startdate 20240101000000Z -enddate 20991231235959Z \
	-extensions ext -notext -out "$dir/demo-cert.pem" 2>/dev/null
chmod 600 "$dir/demo-key.pem" "$dir/demo-cert.pem"
echo "demo signing key: $dir/demo-key.pem, certificate: $dir/demo-cert.pem"
