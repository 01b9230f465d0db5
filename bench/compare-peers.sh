#!/usr/bin/env bash
# Compares KetenHub with the durable systems one would otherwise use, on this
# machine, in one run: Redis streams (appendfsync always), PostgreSQL
# (synchronous_commit on) and NATS JetStream (file storage). Every system
# listens on loopback with TLS and client-certificate authentication, gets
# messages of about 1 KB, and is driven by its own tool where it has one
# (redis-benchmark, pgbench; a small libnats publisher for NATS). The systems
# take turns, round after round, so drift of the machine hits all alike; the
# summary gives each figure's median over the rounds and KetenHub's ratio.
#
# Usage: bench/compare-peers.sh [--json] [BUILD_DIR]
#   ROUNDS=3 (rounds), SCALE=1 (multiplies every message count)
# Installs what is missing from Debian (apt-get, through sudo when not root).
# Every process it starts is stopped by its PID when it ends.
set -euo pipefail
json=false
if [ "${1:-}" = "--json" ]; then json=true; shift; fi
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
build=${1:-build}
rounds=${ROUNDS:-3}
scale=${SCALE:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
pg_bin=/usr/lib/postgresql/15/bin

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
say() { if $json; then echo "$*" >&2; else echo "$*"; fi; }

# --- what is needed --------------------------------------------------------
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-benchmark >/dev/null || missing+=(redis-tools)
[ -x "$pg_bin/postgres" ] && [ -x "$pg_bin/pgbench" ] || missing+=(postgresql postgresql-contrib)
command -v nats-server >/dev/null || missing+=(nats-server)
[ -f /usr/include/nats/nats.h ] || missing+=(libnats-dev)
command -v openssl >/dev/null || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing from Debian: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -x "$root/$build/server/ketenhub" ] || [ ! -x "$root/$build/bench/ketenhub_submit_load" ]; then
  cmake -S "$root" -B "$root/$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$root/$build" --target ketenhub ketenhub_submit_load >/dev/null
fi
[ -f "$root/var/dev-pki/ca.pem" ] || "$root/certs/gen-dev-pki.sh" "$root/var/dev-pki" >/dev/null

work=$(mktemp -d /tmp/ketenhub-peers.XXXXXX)
chmod 755 "$work"  # PostgreSQL runs as its own user when we are root
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  rm -rf "$work"
}
trap stop_all EXIT

g++ -std=c++20 -O2 "$root/bench/nats_publish.cc" -lnats -o "$work/nats_publish"

# --- a PKI for the peers: CA, server (127.0.0.1), client "bench" -------------
# EC P-256, as the hub's dev PKI.
pki=$work/pki
mkdir -p "$pki"
(
  cd "$pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=peer bench CA" -keyout ca-key.pem -out ca.pem 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=localhost" -keyout server-key.pem -out server.csr 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
    -days 2 -extfile server.ext -out server.pem 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=bench" -keyout client-key.pem -out client.csr 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >client.ext
  openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
    -days 2 -extfile client.ext -out client.pem 2>/dev/null
  chmod 600 ./*-key.pem
)

port_hub=50171 port_redis=50172 port_pg=50173 port_nats=50174

# --- KetenHub: the dev configuration on a fresh data folder -----------------
"$root/bench/dev-hub-config.sh" 127.0.0.1:$port_hub "$work/ketenhub" >"$work/hub.textproto"
"$root/$build/server/ketenhub" --config "$work/hub.textproto" >/dev/null 2>"$work/hub.log" &
pids+=($!)

# --- Redis 7: AOF with appendfsync always, TLS only, client certificates -----
mkdir -p "$work/redis"
redis-server --port 0 --tls-port $port_redis --bind 127.0.0.1 \
  --tls-cert-file "$pki/server.pem" --tls-key-file "$pki/server-key.pem" \
  --tls-ca-cert-file "$pki/ca.pem" --tls-auth-clients yes \
  --appendonly yes --appendfsync always --save "" --dir "$work/redis" \
  --daemonize no --logfile "$work/redis/redis.log" &
pids+=($!)

# --- PostgreSQL 15: synchronous_commit on, hostssl with cert authentication --
pg=$work/pg
mkdir -p "$pg"
cp "$pki/server.pem" "$pki/server-key.pem" "$pki/ca.pem" "$pg/"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown -R postgres: "$pg"
as_pg "$pg_bin/initdb" -D "$pg/data" -U bench -A trust >/dev/null
cat >>"$pg/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port_pg
unix_socket_directories = '$pg'
max_connections = 200
shared_buffers = 256MB
ssl = on
ssl_cert_file = '$pg/server.pem'
ssl_key_file = '$pg/server-key.pem'
ssl_ca_file = '$pg/ca.pem'
fsync = on
synchronous_commit = on
EOF
printf 'local all all trust\nhostssl all bench 127.0.0.1/32 cert\n' >"$pg/data/pg_hba.conf"
# setpriv executes postgres in its own place, so $! is the server's PID.
if [ "$(id -u)" = 0 ]; then
  setpriv --reuid postgres --regid postgres --init-groups -- \
    "$pg_bin/postgres" -D "$pg/data" >"$work/postgres.log" 2>&1 &
else
  "$pg_bin/postgres" -D "$pg/data" >"$work/postgres.log" 2>&1 &
fi
pids+=($!)

# --- NATS 2.9 JetStream: file storage, TLS with verified client certificates -
cat >"$work/nats.conf" <<EOF
listen: 127.0.0.1:$port_nats
jetstream { store_dir: "$work/nats" }
tls { cert_file: "$pki/server.pem", key_file: "$pki/server-key.pem", ca_file: "$pki/ca.pem", verify: true }
EOF
nats-server -c "$work/nats.conf" >"$work/nats.log" 2>&1 &
pids+=($!)

for _ in $(seq 100); do
  grep -q '"listening"' "$work/hub.log" && [ -S "$pg/.s.PGSQL.$port_pg" ] &&
    grep -q "Server is ready" "$work/nats.log" && grep -q "Ready to accept" "$work/redis/redis.log" && break
  sleep 0.1
done
"$pg_bin/psql" -q -h "$pg" -p $port_pg -U bench -d postgres \
  -c "CREATE TABLE signals (id bigserial PRIMARY KEY, payload text NOT NULL)"

payload=$(head -c 2000 /dev/zero | tr '\0' 'p' | head -c 1024)
results=$work/results.tsv
: >"$results"
record() { printf '%s\t%s\t%s\t%s\n' "$@" >>"$results"; }  # system mode in_flight "per_s<TAB>p50<TAB>p99"

ketenhub() {  # mode in_flight count [loadgen flags]
  local mode=$1 in_flight=$2 count=$3; shift 3
  local out
  out=$("$root/$build/bench/ketenhub_submit_load" --hub 127.0.0.1:$port_hub \
    --pki-dir "$root/var/dev-pki" --in-flight "$in_flight" --count "$count" --json "$@")
  record KetenHub "$mode" "$in_flight" "$(echo "$out" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["per_second"], j["p50_ms"], j["p99_ms"], sep="\t")')"
}
redis() {  # mode connections count pipeline
  local out
  out=$(redis-benchmark --tls --cacert "$pki/ca.pem" --cert "$pki/client.pem" \
    --key "$pki/client-key.pem" -h 127.0.0.1 -p $port_redis -c "$2" -n "$3" \
    -P "$4" --csv XADD signals '*' payload "$payload" 2>/dev/null | tail -1)
  record Redis "$1" "$2" "$(echo "$out" | python3 -c 'import csv,sys; r=next(csv.reader(sys.stdin)); print(round(float(r[1])), r[4], r[6], sep="\t")')"
}
postgres() {  # mode clients count
  local clients=$2 per_client=$(( $3 / $2 ))
  echo 'INSERT INTO signals (payload) VALUES (:payload);' >"$work/insert.sql"
  rm -f "$work"/pglog*
  local out
  out=$(PGSSLMODE=verify-full PGSSLROOTCERT="$pki/ca.pem" PGSSLCERT="$pki/client.pem" \
    PGSSLKEY="$pki/client-key.pem" "$pg_bin/pgbench" -h 127.0.0.1 -p $port_pg -U bench \
    -n -M prepared -c "$clients" -j $(( clients > 1 ? 2 : 1 )) -t "$per_client" \
    -f "$work/insert.sql" -D payload="$payload" -l --log-prefix="$work/pglog" postgres 2>&1)
  local tps
  tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) .*/\1/p')
  record PostgreSQL "$1" "$clients" "$(cat "$work"/pglog* | python3 -c '
import sys
tps = float(sys.argv[1]); lat = sorted(int(l.split()[2]) for l in sys.stdin)
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1000
print(round(tps), "%.3f" % p(0.5), "%.3f" % p(0.99), sep="\t")' "$tps")"
}
nats() {  # mode in_flight count
  local out
  out=$("$work/nats_publish" --url tls://127.0.0.1:$port_nats --ca "$pki/ca.pem" \
    --cert "$pki/client.pem" --key "$pki/client-key.pem" --in-flight "$2" \
    --count "$3" --size 1024 --json)
  record "NATS JetStream" "$1" "$2" "$(echo "$out" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["per_second"], j["p50_ms"], j["p99_ms"], sep="\t")')"
}

n() { echo $(( $1 * scale )); }
say "Comparing on $(nproc) cores, $rounds rounds; messages of ~1 KB over TLS with client certificates"
for round in $(seq "$rounds"); do
  say "round $round of $rounds"
  ketenhub unary 1 "$(n 2000)" --connections 1
  redis unary 1 "$(n 3000)" 1
  postgres unary 1 "$(n 3000)"
  nats unary 1 "$(n 3000)"
  ketenhub unary 64 "$(n 30000)"
  redis unary 64 "$(n 100000)" 1
  postgres unary 64 "$(n 30000)"
  nats unary 64 "$(n 150000)"
  ketenhub batch 1024 "$(n 60000)" --batch 32
  redis pipelined 64 "$(n 300000)" 16
  nats async 256 "$(n 200000)"
done

python3 - "$results" "$json" <<'EOF'
import collections, json, statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
runs = collections.defaultdict(list)
for system, mode, in_flight, per_s, p50, p99 in rows:
    runs[(system, mode, int(in_flight))].append((float(per_s), float(p50), float(p99)))
table = []
for (system, mode, in_flight), values in runs.items():
    table.append({"system": system, "mode": mode, "in_flight": in_flight,
                  "per_second": round(statistics.median(v[0] for v in values)),
                  "p50_ms": round(statistics.median(v[1] for v in values), 2),
                  "p99_ms": round(statistics.median(v[2] for v in values), 2),
                  "rounds": len(values)})
def hub(in_flight, mode):
    for t in table:
        if t["system"] == "KetenHub" and t["in_flight"] == in_flight and t["mode"] == mode:
            return t["per_second"]
for t in table:  # KetenHub over the peer at the same load (batch vs pipelined/async)
    if t["system"] == "KetenHub":
        t["ketenhub_ratio"] = None
        continue
    mine = hub(t["in_flight"], "unary") if t["mode"] == "unary" else hub(1024, "batch")
    t["ketenhub_ratio"] = round(mine / t["per_second"], 2) if mine else None
if sys.argv[2] == "true":
    print(json.dumps(table, indent=1))
    sys.exit()
print()
print("| system | mode | in flight | acks/s | p50 ms | p99 ms | KetenHub/peer |")
print("|---|---|---:|---:|---:|---:|---:|")
for t in table:
    ratio = "" if t["ketenhub_ratio"] is None else "%.2f" % t["ketenhub_ratio"]
    print("| %s | %s | %d | %s | %.2f | %.2f | %s |" % (
        t["system"], t["mode"], t["in_flight"], format(t["per_second"], ","),
        t["p50_ms"], t["p99_ms"], ratio))
print()
print("KetenHub acks are durable (fsync), audited and encrypted; Redis and")
print("PostgreSQL acks are durable; NATS JetStream 2.9 acks are not (it syncs")
print("its files on a timer). KetenHub batch (SubmitBatch, 32 per message,")
print("1,024 outstanding) is compared with pipelined Redis (-P 16) and async NATS.")
EOF
