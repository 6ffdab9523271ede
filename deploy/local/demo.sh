#!/usr/bin/env bash
# End-to-end demo on the local stack: start the servers and the Kinesis
# emulator, empty the demo tables and stream, pre-load the sources with
# the load generator, migrate the target, start Tributary with backfill:
# initial, which copies the pre-loaded rows while it streams every source
# cluster through the mappings into the target database (and every change
# into a JSON lines file, and every change of recipes.cooksnaps into the
# Kinesis stream) and the load generator keeps writing to them, stop the
# load, wait until every source has caught up and every backfill is done,
# stop Tributary, print a summary, read the stream back and check that the
# target holds exactly what the mappings make of the sources, pre-loaded
# and streamed rows alike (stack verify). It says what it does before each slow step and ends with one
# verdict line, "demo: PASS — ..." or "demo: FAIL — ..." (exit 1). KEEP=1
# leaves the servers running.
#
#   DURATION  how long the load runs (default 20s)
#   RATE      load transactions per second, 0 = as fast as possible (default 100)
#   PRELOAD   transactions written before Tributary starts (default 3000)
#   HTTP      Tributary's status and metrics address (default 127.0.0.1:9107)
#   LOCAL     the stack's folder: servers, logs, store, config (default .local)
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-20s}
RATE=${RATE:-100}
PRELOAD=${PRELOAD:-3000}
HTTP=${HTTP:-127.0.0.1:9107}
LOCAL=${LOCAL:-.local}
BIN=bin/tributary
STACK=bin/stack

# step says what the demo does next; a failure names the last one.
STEP="starting"
step() {
  STEP="$*"
  echo "== $*"
}
TRIBUTARY_PID=
LOAD_PID=
stop_tributary() {
  if [ -n "$TRIBUTARY_PID" ] && kill -0 "$TRIBUTARY_PID" 2>/dev/null; then
    kill -TERM "$TRIBUTARY_PID"
    wait "$TRIBUTARY_PID"
  fi
}
# Every way out ends with one verdict line: an error on the way is a FAIL
# that names the step it happened in.
VERDICT=
on_exit() {
  local rc=$? why=""
  if [ -n "$TRIBUTARY_PID" ] && ! kill -0 "$TRIBUTARY_PID" 2>/dev/null; then
    why=" ($(tail -n 1 "$LOCAL/tributary.log"))"
  fi
  if [ -n "$LOAD_PID" ]; then
    kill -INT "$LOAD_PID" 2>/dev/null || true
  fi
  stop_tributary || true
  if [ -z "$VERDICT" ]; then
    echo "demo: FAIL — $STEP failed (exit $rc)$why; Tributary's log is $LOCAL/tributary.log," \
      "the servers are left running (go run ./deploy/local/stack -dir $LOCAL down stops them)"
  fi
}
# caught_up waits up to $1 seconds for every source to catch up, and gives
# up at once when Tributary has stopped.
caught_up() {
  local deadline=$((SECONDS + $1))
  while kill -0 "$TRIBUTARY_PID" 2>/dev/null; do
    if "$BIN" status --config "$LOCAL/tributary.yaml" --wait --timeout 5s >"$LOCAL/status.txt" 2>&1; then
      cat "$LOCAL/status.txt"
      return 0
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      cat "$LOCAL/status.txt"
      return 1
    fi
    sleep 0.5
  done
  echo "Tributary stopped: $(tail -n 1 "$LOCAL/tributary.log")" >&2
  return 1
}
# serving waits up to $1 seconds for Tributary's HTTP address to accept
# connections, and gives up at once when Tributary has stopped.
serving() {
  local deadline=$((SECONDS + $1))
  while kill -0 "$TRIBUTARY_PID" 2>/dev/null; do
    if (exec 3<>"/dev/tcp/${HTTP%:*}/${HTTP##*:}") 2>/dev/null; then
      return 0
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "Tributary does not answer at $HTTP after $1 s" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "Tributary stopped: $(tail -n 1 "$LOCAL/tributary.log")" >&2
  return 1
}
trap on_exit EXIT

step "building tributary and the stack tool (the first build takes a minute or two)"
go build -o "$BIN" ./cmd/tributary
go build -o "$STACK" ./deploy/local/stack
step "starting the four MariaDB servers and the Kinesis emulator (the first start initialises them)"
"$STACK" -dir "$LOCAL" up
eval "$("$STACK" -dir "$LOCAL" env)"

# A fresh run: empty demo tables and a new store; the sources are then
# pre-loaded, and backfill: initial starts each source at its current
# position and copies the rows its mapped tables hold.
step "emptying the demo tables, the store and the stream"
rm -rf "$LOCAL/pebble" "$LOCAL/changes.jsonl"
sql() { mariadb -h127.0.0.1 -P"$1" -uroot -N -B -e "$2"; }
for port in "$JP_ACCOUNTS_PORT" "$JP_ACCOUNTS_2_PORT"; do
  sql "$port" "TRUNCATE accounts.users; TRUNCATE accounts.user_profiles"
done
sql "$JP_RECIPES_PORT" "TRUNCATE recipes.recipes; TRUNCATE recipes.steps; TRUNCATE recipes.cooksnaps"
"$STACK" -dir "$LOCAL" reset-stream
step "pre-loading the sources: $PRELOAD transactions before Tributary starts"
"$STACK" -dir "$LOCAL" loadgen --transactions "$PRELOAD" --rate 0 --seed 2 2>"$LOCAL/preload.log"
rows_in() {
  sql "$1" "SELECT (SELECT COUNT(*) FROM accounts.users) + (SELECT COUNT(*) FROM accounts.user_profiles)"
}
PRELOADED=$(($(rows_in "$JP_ACCOUNTS_PORT") + $(rows_in "$JP_ACCOUNTS_2_PORT") + $(sql "$JP_RECIPES_PORT" \
  "SELECT (SELECT COUNT(*) FROM recipes.recipes) + (SELECT COUNT(*) FROM recipes.steps) + (SELECT COUNT(*) FROM recipes.cooksnaps)")))
echo "  the source tables hold $PRELOADED rows"
# The emulator takes any credentials; the sink resolves them through the
# default AWS chain like everywhere else.
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo
# Paths in the config are relative to it: ../ is the checkout for .local.
ROOT=..
if [ "$LOCAL" != .local ]; then
  ROOT=$(pwd)
fi
cat >"$LOCAL/tributary.yaml" <<YAML
# Written by deploy/local/demo.sh for the local stack.
log:
  level: info
  format: text   # the demo's log is read by people; a service's default is auto (JSON when not a terminal)
pebble:
  dir: pebble
checkpoint:
  interval: 500ms
http:
  listen: $HTTP
mappings:
  - $ROOT/mappings
migrations: $ROOT/migrations
sources:
  - name: jp-accounts
    host: 127.0.0.1
    port: $JP_ACCOUNTS_PORT
    user: tributary
    password_env: TRIBUTARY_PASSWORD
    server_id: 9001
    backfill: initial
    backfill_chunk_rows: 100
  - name: jp-accounts-2
    host: 127.0.0.1
    port: $JP_ACCOUNTS_2_PORT
    user: tributary
    password_env: TRIBUTARY_PASSWORD
    server_id: 9003
    backfill: initial
    backfill_chunk_rows: 100
  - name: jp-recipes
    host: 127.0.0.1
    port: $JP_RECIPES_PORT
    user: tributary
    password_env: TRIBUTARY_PASSWORD
    server_id: 9002
    backfill: initial
    backfill_chunk_rows: 100
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

step "checking the configuration and the mappings, migrating the target"
"$BIN" config check --config "$LOCAL/tributary.yaml"
"$BIN" mappings check --config "$LOCAL/tributary.yaml"
"$BIN" migrate --config "$LOCAL/tributary.yaml"
"$BIN" mappings check --live --config "$LOCAL/tributary.yaml"
sql "$TARGET_PORT" "TRUNCATE global.members; TRUNCATE global.recipes; TRUNCATE global.cooksnaps"

step "starting Tributary with backfill: initial (log: $LOCAL/tributary.log)"
"$BIN" run --config "$LOCAL/tributary.yaml" 2>"$LOCAL/tributary.log" &
TRIBUTARY_PID=$!
# Tributary serves its status once every source's start position and
# backfill cursors are saved; the copy runs from then on.
serving 60

# A canary: a row value that must go through the sinks, and into no log
# line (checked at the end, with the password). The load may delete it.
CANARY="canary-$RANDOM$RANDOM-row-value"
sql "$JP_RECIPES_PORT" "INSERT INTO recipes.cooksnaps (id, recipe_id, user_id, comment, created_at)
  SELECT COALESCE(MAX(id), 0) + 1000000, 1, 1, '$CANARY', NOW(6) FROM recipes.cooksnaps"

step "load: $DURATION at $RATE transactions/s while the backfill copies the pre-loaded rows"
"$STACK" -dir "$LOCAL" loadgen --duration "$DURATION" --rate "$RATE" >"$LOCAL/load.txt" &
LOAD_PID=$!
sleep 2
"$BIN" status --config "$LOCAL/tributary.yaml" | sed 's/^/  /'
wait "$LOAD_PID"
LOAD_PID=
cat "$LOCAL/load.txt"

step "waiting for Tributary to finish the backfill and catch up with every source"
caught_up 180

step "stopping Tributary"
stop_tributary
TRIBUTARY_PID=
"$BIN" checkpoint show --config "$LOCAL/tributary.yaml"

step "changes written to $LOCAL/changes.jsonl, by source, table and operation"
grep -o '"source":"[^"]*","schema":"[^"]*","table":"[^"]*","op":"[^"]*"' "$LOCAL/changes.jsonl" |
  sed -E 's/"source":"([^"]*)","schema":"([^"]*)","table":"([^"]*)","op":"([^"]*)"/\1 \2.\3 \4/' |
  sort | uniq -c | awk '{printf "  %8d  %-14s %-22s %s\n", $1, $2, $3, $4}'
echo "  total: $(wc -l <"$LOCAL/changes.jsonl") changes"

# Each comparison that fails adds what differs; the verdict lists them.
failures=()

step "reading the Kinesis stream $KINESIS_STREAM back"
if ! "$STACK" -dir "$LOCAL" -n 3 stream 2>"$LOCAL/stream.err"; then
  cat "$LOCAL/stream.err" >&2
  failures+=("the stream read back wrong: $(tail -n 1 "$LOCAL/stream.err" | sed 's/^stack: //')")
fi
want=$(grep -c '"schema":"recipes","table":"cooksnaps"' "$LOCAL/changes.jsonl" || true)
got=$("$STACK" -dir "$LOCAL" -n 0 stream 2>/dev/null | awk '{print $1; exit}' || true)
if [ "$got" = "$want" ]; then
  echo "  every one of the $want changes of recipes.cooksnaps is in the stream"
else
  echo "  the stream holds ${got:-no} records, but $want changes of recipes.cooksnaps were written"
  failures+=("the stream holds ${got:-no} records, want $want")
fi

step "comparing the target with the mapped sources"
# Computed from the sources by plain queries, independently of the mapping
# code (deploy/local/expect).
if ! "$STACK" -dir "$LOCAL" verify | tee "$LOCAL/verify.txt"; then
  last=$(tail -n 1 "$LOCAL/verify.txt")
  case "$last" in
  "verify: FAIL — "*) failures+=("${last#verify: FAIL — }") ;;
  *) failures+=("the target could not be compared (see above)") ;;
  esac
fi

# The target was compared whole: the pre-loaded rows reach it through the
# backfill only, as read changes, the load's through the stream.
reads=$(grep -c '"op":"read"' "$LOCAL/changes.jsonl" || true)
echo "  the target holds both: $reads rows copied by the backfill, $(($(wc -l <"$LOCAL/changes.jsonl") - reads)) changes streamed"
if [ "$reads" -eq 0 ] && [ "$PRELOADED" -gt 0 ]; then
  failures+=("the backfill copied none of the $PRELOADED pre-loaded rows")
fi

step "checking that no log or command output holds the password or a row value"
# Everything the demo captured but the JSON lines sink (which carries row
# values by design) and the stack's own files (stack.env holds the
# password; the servers' folders hold the data).
logs=$(find "$LOCAL" -maxdepth 1 -type f \( -name '*.log' -o -name '*.txt' -o -name '*.err' \) | sort)
leaks=$(grep -l -F -e "$TRIBUTARY_PASSWORD" -e "$CANARY" $logs /dev/null || true)
if [ -n "$leaks" ]; then
  failures+=("a password or row value is in $(echo $leaks)")
  echo "  found in: $(echo $leaks)"
elif ! grep -q -F "$CANARY" "$LOCAL/changes.jsonl"; then
  failures+=("the canary row did not reach the sinks")
else
  echo "  none in $(echo "$logs" | wc -l) files, though the canary row went through the sinks"
fi

if [ "${KEEP:-0}" = 1 ]; then
  echo "== KEEP=1: servers left running; see $LOCAL/stack.env, make down stops them"
else
  step "stopping the servers"
  "$STACK" -dir "$LOCAL" down
fi
if [ "${#failures[@]}" -eq 0 ]; then
  VERDICT="demo: PASS — every comparison equal (the target tables and the Kinesis stream), no password or row value in the logs"
  echo "$VERDICT"
  exit 0
fi
VERDICT="demo: FAIL — $(IFS=';'; echo "${failures[*]}" | sed 's/;/; /g')"
echo "$VERDICT"
exit 1
