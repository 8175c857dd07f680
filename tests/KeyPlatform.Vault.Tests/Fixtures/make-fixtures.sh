#!/usr/bin/env bash
# Regenerates the test key files with the openssl CLI (OpenSSL 3). They are throwaway test keys, not secrets.
# Every protected file uses the password "test-password-K2".
set -euo pipefail
cd "$(dirname "$0")"
pass="pass:test-password-K2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

self_signed() { # $1 = name, rest = -newkey arguments
  local name="$1"; shift
  openssl req -x509 -newkey "$@" -nodes -keyout "$work/$name.key" -out "$work/$name.crt" \
    -subj "/CN=Key Platform test $name" -days 3650 2>/dev/null
}

self_signed rsa2048 rsa:2048
self_signed rsa1024 rsa:1024
self_signed rsa4096 rsa:4096
self_signed ec-p256 ec -pkeyopt ec_paramgen_curve:P-256

for name in rsa2048 rsa1024 rsa4096 ec-p256; do
  openssl pkcs12 -export -inkey "$work/$name.key" -in "$work/$name.crt" -out "$name.pfx" -passout "$pass"
done
# The good key also as a PKCS#8 PEM and its certificate, for the BYOK tool tests.
cp "$work/rsa2048.key" rsa2048.key.pem
cp "$work/rsa2048.crt" rsa2048.crt.pem
# A certificate with no private key.
openssl pkcs12 -export -nokeys -in "$work/rsa2048.crt" -out cert-only.pfx -passout "$pass"
# No protection at all: no encryption, no MAC.
openssl pkcs12 -export -inkey "$work/rsa2048.key" -in "$work/rsa2048.crt" -out no-password.pfx \
  -keypbe NONE -certpbe NONE -nomac -passout pass:
# "Protected" by the empty password.
openssl pkcs12 -export -inkey "$work/rsa2048.key" -in "$work/rsa2048.crt" -out empty-password.pfx -passout pass:

# A key-exchange key and a .byok of the good key wrapped for it, made with openssl alone (not with our code):
# RSA-OAEP-SHA1 of a random AES-256 key, then RFC 5649 AES key wrap with padding of the PKCS#8 DER.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out kek-rsa2048.key.pem 2>/dev/null
openssl pkey -in kek-rsa2048.key.pem -pubout -out kek-rsa2048.pub.pem
# (openssl pkey -outform DER would write PKCS#1; the .byok format carries PKCS#8.)
openssl pkcs8 -topk8 -nocrypt -in rsa2048.key.pem -outform DER -out "$work/key.der"
openssl rand 32 > "$work/aes.bin"
openssl pkeyutl -encrypt -pubin -inkey kek-rsa2048.pub.pem -pkeyopt rsa_padding_mode:oaep \
  -pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1 -in "$work/aes.bin" -out "$work/aes.wrapped"
openssl enc -id-aes256-wrap-pad -K "$(xxd -p -c 64 "$work/aes.bin")" -iv A65959A6 -in "$work/key.der" -out "$work/key.wrapped"
ciphertext="$(cat "$work/aes.wrapped" "$work/key.wrapped" | base64 -w0 | tr '+/' '-_' | tr -d '=')"
printf '{"schema_version":"1.0.0","header":{"kid":"kek-openssl-fixture","alg":"dir","enc":"CKM_RSA_AES_KEY_WRAP"},"ciphertext":"%s","generator":"openssl make-fixtures.sh"}' \
  "$ciphertext" > openssl-rsa2048.byok
chmod 644 ./*.pfx ./*.pem ./*.byok
