#!/usr/bin/env bash
# End-to-end demo on the local stack: start the servers and the Kinesis
# emulator, empty the demo tables and stream, migrate the target, stream
# every source cluster through the mappings into the target database (and
# every change into a JSON lines file, and every change of
# recipes.cooksnaps into the Kinesis stream) while the load generator
# writes to them, stop the load, wait until every source has caught up,
# stop Tributary, print a summary, read the stream back and check that the
# target holds exactly what the mappings make of the sources (stack
# verify). KEEP=1 leaves the servers running.
#
#   DURATION  how long the load runs (default 20s)
#   RATE      load transactions per second, 0 = as fast as possible (default 100)
#   HTTP      Tributary's status and metrics address (default 127.0.0.1:9107)
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-20s}
RATE=${RATE:-100}
HTTP=${HTTP:-127.0.0.1:9107}
LOCAL=.local
BIN=bin/tributary

go run ./deploy/local/stack -dir "$LOCAL" up
go build -o "$BIN" ./cmd/tributary
eval "$(go run ./deploy/local/stack -dir "$LOCAL" env)"

# A fresh run: empty demo tables and a new store, which run --init starts
# at the current positions, so everything in the sources is written during
# the run (backfill of existing rows is not built yet).
rm -rf "$LOCAL/pebble" "$LOCAL/changes.jsonl"
sql() { mariadb -h127.0.0.1 -P"$1" -uroot -N -B -e "$2"; }
for port in "$JP_ACCOUNTS_PORT" "$JP_ACCOUNTS_2_PORT"; do
  sql "$port" "TRUNCATE accounts.users; TRUNCATE accounts.user_profiles"
done
sql "$JP_RECIPES_PORT" "TRUNCATE recipes.recipes; TRUNCATE recipes.steps; TRUNCATE recipes.cooksnaps"
go run ./deploy/local/stack -dir "$LOCAL" reset-stream
# The emulator takes any credentials; the sink resolves them through the
# default AWS chain like everywhere else.
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo
cat >"$LOCAL/tributary.yaml" <<YAML
# Written by deploy/local/demo.sh for the local stack.
log:
  level: info
pebble:
  dir: pebble
checkpoint:
  interval: 500ms
http:
  listen: $HTTP
mappings:
  - ../mappings
migrations: ../migrations
sources:
  - name: jp-accounts
    host: 127.0.0.1
    port: $JP_ACCOUNTS_PORT
    user: tributary
    password_env: TRIBUTARY_PASSWORD
    server_id: 9001
  - name: jp-accounts-2
    host: 127.0.0.1
    port: $JP_ACCOUNTS_2_PORT
    user: tributary
    password_env: TRIBUTARY_PASSWORD
    server_id: 9003
  - name: jp-recipes
    host: 127.0.0.1
    port: $JP_RECIPES_PORT
    user: tributary
    password_env: TRIBUTARY_PASSWORD
    server_id: 9002
sinks:
  - name: changes
    type: jsonl
    jsonl:
      path: changes.jsonl
  - name: target
    type: mysql
    mysql:
      host: 127.0.0.1
      port: $TARGET_PORT
      user: tributary
      password_env: TRIBUTARY_PASSWORD
      database: global
  # Every change of recipes.cooksnaps, in the native envelope, keyed by
  # primary key, one change per Kinesis record. Other tables match no
  # route, and the sink has no default stream, so they are not sent.
  - name: cooksnaps-stream
    type: kinesis
    kinesis:
      region: us-east-1
      endpoint: $KINESIS_ENDPOINT
      format: native
      partition_key: primary_key
      routes:
        - tables: recipes.cooksnaps
          stream: $KINESIS_STREAM
YAML

"$BIN" config check --config "$LOCAL/tributary.yaml"
"$BIN" mappings check --config "$LOCAL/tributary.yaml"
"$BIN" migrate --config "$LOCAL/tributary.yaml"
"$BIN" mappings check --live --config "$LOCAL/tributary.yaml"
sql "$TARGET_PORT" "TRUNCATE global.members; TRUNCATE global.recipes; TRUNCATE global.cooksnaps"
"$BIN" run --init --config "$LOCAL/tributary.yaml" 2>"$LOCAL/tributary.log" &
TRIBUTARY_PID=$!
stop_tributary() {
  if kill -0 "$TRIBUTARY_PID" 2>/dev/null; then
    kill -TERM "$TRIBUTARY_PID"
    wait "$TRIBUTARY_PID"
  fi
}
trap 'stop_tributary || true' EXIT

# Tributary serves its status once every source's start position is saved;
# nothing has been written since, so it is caught up at once.
if ! "$BIN" status --config "$LOCAL/tributary.yaml" --wait --timeout 30s >/dev/null; then
  cat "$LOCAL/tributary.log" >&2
  exit 1
fi

echo "== load: $DURATION at $RATE transactions/s"
go run ./deploy/local/stack -dir "$LOCAL" loadgen --duration "$DURATION" --rate "$RATE"

echo "== waiting for Tributary to catch up with every source"
"$BIN" status --config "$LOCAL/tributary.yaml" --wait --timeout 2m

echo "== stopping Tributary"
stop_tributary
trap - EXIT
"$BIN" checkpoint show --config "$LOCAL/tributary.yaml"

echo "== changes written to $LOCAL/changes.jsonl, by source, table and operation"
grep -o '"source":"[^"]*","schema":"[^"]*","table":"[^"]*","op":"[^"]*"' "$LOCAL/changes.jsonl" |
  sed -E 's/"source":"([^"]*)","schema":"([^"]*)","table":"([^"]*)","op":"([^"]*)"/\1 \2.\3 \4/' |
  sort | uniq -c | awk '{printf "  %8d  %-14s %-22s %s\n", $1, $2, $3, $4}'
echo "  total: $(wc -l <"$LOCAL/changes.jsonl") changes"

echo "== Kinesis stream $KINESIS_STREAM read back"
ok=0
go run ./deploy/local/stack -dir "$LOCAL" -n 3 stream || ok=1
want=$(grep -c '"schema":"recipes","table":"cooksnaps"' "$LOCAL/changes.jsonl" || true)
got=$(go run ./deploy/local/stack -dir "$LOCAL" -n 0 stream | awk '{print $1; exit}')
if [ "$got" = "$want" ]; then
  echo "  every one of the $want changes of recipes.cooksnaps is in the stream"
else
  echo "  the stream holds $got records, but $want changes of recipes.cooksnaps were written" >&2
  ok=1
fi

echo "== target compared with the mapped sources"
# Computed from the sources by plain queries, independently of the mapping
# code (deploy/local/expect).
go run ./deploy/local/stack -dir "$LOCAL" verify || ok=1

if [ "${KEEP:-0}" = 1 ]; then
  echo "== KEEP=1: servers left running; see $LOCAL/stack.env, make down stops them"
else
  go run ./deploy/local/stack -dir "$LOCAL" down
fi
exit "$ok"
