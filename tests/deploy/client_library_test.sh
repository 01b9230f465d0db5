#!/usr/bin/env bash
# The partner library holds nothing of the hub: libketenhub-client.so links
# no RocksDB and defines none of the server's classes or singletons (the JSON
# log, the metrics, storage, policy, the service layer).
# Usage: client_library_test.sh LIBRARY
set -euo pipefail
lib=${1:?libketenhub-client.so}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

needed=$(ldd "$lib")
grep -qi rocksdb <<<"$needed" && fail "links RocksDB: $(grep -i rocksdb <<<"$needed")"
symbols=$(nm -C --defined-only "$lib")
for server in 'ketenhub::SignalStore' 'ketenhub::Database' 'ketenhub::LogEvent' \
              'ketenhub::HubMetrics' 'ketenhub::AccessPolicy' 'ketenhub::Hub' \
              'ketenhub::CommitPipeline' 'ketenhub::KekRing' 'ketenhub::v1::storage::' \
              'ketenhub::v1::Policy' 'ketenhub::v1::HubConfig' 'rocksdb::'; do
  grep -q -- "$server" <<<"$symbols" && fail "defines $server"
done
for client in 'ketenhub::SignalClient::Connect' 'ketenhub::SignalOutbox::Open' \
              'ketenhub::ChainDirectorClient' 'ketenhub::AuditClient' \
              'ketenhub::VerifyCheckpoint' 'ketenhub::v1::Signal::'; do
  grep -q -- "$client" <<<"$symbols" || fail "lacks $client"
done
[ "$failures" -eq 0 ] && echo "client library: no server code, no RocksDB"
exit "$failures"
