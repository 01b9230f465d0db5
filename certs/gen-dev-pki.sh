#!/usr/bin/env bash
# Creates a development/test PKI for KetenHub in DIR (default var/dev-pki):
#   ca.pem                      the dev CA every hub and partner certificate chains to
#   hub.pem, hub-key.pem        the hub's server certificate (SAN localhost, 127.0.0.1)
#   hub-renewed.pem, -key.pem   a second one, as after a renewal (tests)
#   NAME.pem, NAME-key.pem      client certificates, subject serialNumber = the OIN
#   crl.pem                     the dev CA's CRL, listing `revoked`
#   crl-stale.pem               the same, past its nextUpdate (tests)
#   outsider-crl.pem            a CRL of the unrelated CA (tests)
#   outsider-ca.pem             a second, unrelated CA (signs only `outsider`)
#   people/ca.pem               the Zorg- en Veiligheidshuis's CA for its people
#   people/NAME.pem, -key.pem, .p12  personal certificates for the console
#                               (subject serialNumber = the employee id; the
#                               .p12 has an empty password, for a browser)
# OINs use the 00000099 test prefix. Private keys are written 0600 and must never be
# committed: generate the PKI wherever it is needed (var/ is gitignored).
set -euo pipefail

dir=${1:-var/dev-pki}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077

# name | organisation | OIN ("-" for none) | CA (dev|outsider) | validity (ok|expired)
clients=(
  "politie|Politie Eenheid Midden-Nederland|00000099000000000001|dev|ok"
  "ggd|GGD Gooi en Vechtstreek|00000099000000000002|dev|ok"
  "veilig-thuis|Veilig Thuis Gooi en Vechtstreek|00000099000000000003|dev|ok"
  "gemeente-hilversum|Gemeente Hilversum|00000099000000000004|dev|ok"
  "ketenregisseur|Zorg- en Veiligheidshuis Gooi en Vechtstreek|00000099000000000005|dev|ok"
  "auditor|Functionaris Gegevensbescherming ZVH|00000099000000000006|dev|ok"
  "witness|Functionaris Gegevensbescherming ZVH (witness)|00000099000000000008|dev|ok"
  "operator|KetenHub Beheer|00000099000000000007|dev|ok"
  "zorgcoordinator|Zorgcoordinatie Mensenhandel Gooi en Vechtstreek|00000099000000000009|dev|ok"
  "expired|Politie Eenheid Midden-Nederland|00000099000000000001|dev|expired"
  "revoked|Politie Eenheid Midden-Nederland|00000099000000000001|dev|ok"
  "no-oin|Politie Eenheid Midden-Nederland|-|dev|ok"
  "stranger|Onbekende Organisatie|00000099000000000099|dev|ok"
  "outsider|Politie Eenheid Midden-Nederland|00000099000000000001|outsider|ok"
)

make_ca() {  # make_ca NAME "Subject"
  local ca="$work/$1"
  mkdir -p "$ca/new"
  : >"$ca/index.txt"
  echo 1000 >"$ca/serial"
  echo 1000 >"$ca/crlnumber"
  cat >"$ca/ca.cnf" <<CNF
[ca]
default_ca = ca_section
[ca_section]
dir = $ca
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
crlnumber = \$dir/crlnumber
certificate = \$dir/ca.pem
private_key = \$dir/ca-key.pem
default_md = sha256
default_days = 825
default_crl_days = 825
policy = policy_any
unique_subject = no
preserve = yes
copy_extensions = none
[policy_any]
organizationName = optional
commonName = supplied
serialNumber = optional
countryName = optional
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
CNF
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "$2" -keyout "$ca/ca-key.pem" -out "$ca/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

issue() {  # issue CA NAME SUBJECT EXTENSION [extra openssl ca args...]
  local ca="$work/$1" name=$2 subj=$3 ext=$4
  shift 4
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "$subj" -keyout "$dir/$name-key.pem" -out "$work/${name//\//-}.csr" 2>/dev/null
  openssl ca -batch -config "$ca/ca.cnf" -extensions "$ext" -notext \
    -in "$work/${name//\//-}.csr" -out "$dir/$name.pem" "$@" 2>/dev/null
  chmod 600 "$dir/$name-key.pem"
  chmod 644 "$dir/$name.pem"
}

make_ca dev "/C=NL/O=KetenHub Dev/CN=KetenHub Dev CA"
make_ca people "/C=NL/O=Zorg- en Veiligheidshuis Dev/CN=ZVH Dev Personen CA"
make_ca outsider "/C=NL/O=Elders/CN=Unrelated CA"

issue dev hub "/C=NL/O=KetenHub Dev/CN=localhost" server_ext
issue dev hub-renewed "/C=NL/O=KetenHub Dev/CN=localhost" server_ext
for entry in "${clients[@]}"; do
  IFS='|' read -r name org oin ca validity <<<"$entry"
  subj="/C=NL/O=$org/CN=$name.ketenhub.test"
  [ "$oin" != "-" ] && subj="$subj/serialNumber=$oin"
  extra=()
  [ "$validity" = expired ] && extra=(-startdate 20240101000000Z -enddate 20250101000000Z)
  issue "$ca" "$name" "$subj" client_ext "${extra[@]}"
done

openssl ca -batch -config "$work/dev/ca.cnf" -revoke "$dir/revoked.pem" 2>/dev/null
openssl ca -batch -config "$work/dev/ca.cnf" -gencrl -out "$dir/crl.pem" 2>/dev/null
# For fail-closed tests: a CRL past its nextUpdate, and one of another CA.
openssl ca -batch -config "$work/dev/ca.cnf" -gencrl \
  -crl_lastupdate 20250101000000Z -crl_nextupdate 20250201000000Z \
  -out "$dir/crl-stale.pem" 2>/dev/null
openssl ca -batch -config "$work/outsider/ca.cnf" -gencrl \
  -out "$dir/outsider-crl.pem" 2>/dev/null

# People of the Zorg- en Veiligheidshuis: name | their name | employee id.
people=(
  "regisseur-1|Anna de Vries|regisseur-1"
  "regisseur-2|Bram Jansen|regisseur-2"
  "auditor-1|Carla Bakker|privacy-1"
  "zorgcoordinator-1|Eva Smit|zorg-1"
  "unlisted|Daan Visser|mw-0999"
)
mkdir -p "$dir/people"
chmod 700 "$dir/people"
for entry in "${people[@]}"; do
  IFS='|' read -r name person employee <<<"$entry"
  issue people "people/$name" \
    "/C=NL/O=Zorg- en Veiligheidshuis Dev/CN=$person/serialNumber=$employee" \
    client_ext
  openssl pkcs12 -export -passout pass: -in "$dir/people/$name.pem" \
    -inkey "$dir/people/$name-key.pem" -out "$dir/people/$name.p12" 2>/dev/null
  chmod 600 "$dir/people/$name.p12"
done
cp "$work/people/ca.pem" "$dir/people/ca.pem"
chmod 644 "$dir/people/ca.pem"

cp "$work/dev/ca.pem" "$dir/ca.pem"
cp "$work/outsider/ca.pem" "$dir/outsider-ca.pem"
chmod 644 "$dir/ca.pem" "$dir/outsider-ca.pem" "$dir/crl.pem" \
  "$dir/crl-stale.pem" "$dir/outsider-crl.pem"
echo "Dev PKI written to $dir"
