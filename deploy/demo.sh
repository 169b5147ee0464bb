#!/usr/bin/env bash
# The Vigil demo: dev certificates, one hub and three agents of a `checkout` service (two on 1.4.0,
# one on 1.5.0, each with its own certificate, socket and buffer) in a temp directory, about a minute
# of realistic traffic (after sending the last hour of history at once, so the judge has its 50
# per-(host, minute) points), then `vigilctl status`, `agents`, `versions checkout` and `recommendations`,
# then a clean stop of everything. The hub judges the slower, error-prone 1.5.0 against 1.4.0.
#
# In a terminal (or with DEMO_KEEP=1) it then prints the dashboard's URL and keeps the hub, the agents and
# live traffic up until Enter is pressed; without a terminal it stops right away (CI).
#
# usage: deploy/demo.sh [BIN_DIR]      (DEMO_SECONDS=45 by default; DEMO_KEEP=1 keeps it up, DEMO_KEEP=0 never)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${1:-$ROOT/.build/debug}"
SECONDS_OF_TRAFFIC="${DEMO_SECONDS:-45}"
WORK="$(mktemp -d /tmp/vigil-demo.XXXXXX)"
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

echo "== demo directory: $WORK"
bash "$ROOT/deploy/certs.sh" "$WORK/certs" --agent checkout-1 --agent checkout-2 --agent checkout-3 >/dev/null

cat >"$WORK/hub.yaml" <<YAML
listen: "127.0.0.1:0"
admin: "127.0.0.1:0"
tls: { ca: $WORK/certs/ca.pem, cert: $WORK/certs/hub.pem, key: $WORK/certs/hub.key }
store: { kind: sqlite, path: $WORK/hub.db }
evaluation_interval: 5s
judge: { baseline: auto, window: 60m }
YAML
"$BIN/vigil-hub" serve --config "$WORK/hub.yaml" --ports-file "$WORK/hub.ports" >"$WORK/hub.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 200); do [ -s "$WORK/hub.ports" ] && break; sleep 0.1; done
[ -s "$WORK/hub.ports" ] || { echo "hub did not start:"; cat "$WORK/hub.log"; exit 1; }
LISTEN="$(awk '$1=="listen"{print $2}' "$WORK/hub.ports")"
ADMIN="$(awk '$1=="admin"{print $2}' "$WORK/hub.ports")"
export VIGIL_HUB="http://$ADMIN"
echo "== hub listening on $LISTEN, admin API on $VIGIL_HUB"

TARGETS=()
for n in 1 2 3; do
    version="1.4.0"; [ "$n" = 3 ] && version="1.5.0"
    cat >"$WORK/agent-$n.yaml" <<YAML
agent_id: checkout-$n
labels: { service: checkout, version: "$version", env: demo }
endpoints: ["$LISTEN"]
tls: { ca: $WORK/certs/ca.pem, cert: $WORK/certs/agent-checkout-$n.pem, key: $WORK/certs/agent-checkout-$n.key }
ingest: { socket: $WORK/agent-$n.sock }
buffer: { path: $WORK/agent-$n.db }
sampling: { interval: 1s }
YAML
    "$BIN/vigil-agent" run --config "$WORK/agent-$n.yaml" >"$WORK/agent-$n.log" 2>&1 &
    PIDS+=($!)
    TARGETS+=("$WORK/agent-$n.sock:$version")
done
for n in 1 2 3; do
    for _ in $(seq 1 200); do [ -S "$WORK/agent-$n.sock" ] && break; sleep 0.1; done
done
echo "== three agents up (checkout-1, checkout-2 on 1.4.0; checkout-3 on 1.5.0)"
echo "== sending the last 60 minutes of history, then ${SECONDS_OF_TRAFFIC}s of live traffic"
python3 "$ROOT/deploy/demo-traffic.py" --seconds "$SECONDS_OF_TRAFFIC" --rate 200 --backfill-minutes 60 "${TARGETS[@]}"

# Let the agents ship their backlog before reporting.
for n in 1 2 3; do
    for _ in $(seq 1 100); do
        backlog="$("$BIN/vigil-agent" status --database "$WORK/agent-$n.db" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["buffer"]["records"])')"
        [ "$backlog" -le 5 ] && break
        sleep 0.2
    done
done
sleep 1
echo
echo "== vigilctl status"
"$BIN/vigilctl" status
echo
echo "== vigilctl agents"
"$BIN/vigilctl" agents
echo
echo "== vigil-agent status (checkout-3)"
"$BIN/vigil-agent" status --database "$WORK/agent-3.db"
# One evaluation after everything was shipped (evaluation_interval is 5s in this demo).
sleep 6
echo
echo "== vigilctl versions checkout"
"$BIN/vigilctl" versions checkout
echo
echo "== vigilctl recommendations"
"$BIN/vigilctl" recommendations
KEEP="${DEMO_KEEP:-}"
if [ -z "$KEEP" ]; then if [ -t 0 ] && [ -t 1 ]; then KEEP=1; else KEEP=0; fi; fi
if [ "$KEEP" = 1 ]; then
    python3 "$ROOT/deploy/demo-traffic.py" --seconds 86400 --rate 50 "${TARGETS[@]}" >/dev/null 2>&1 &
    PIDS+=($!)
    echo
    echo "== dashboard: $VIGIL_HUB/services/checkout   (fleet: $VIGIL_HUB/ , live traffic keeps flowing)"
    if [ -t 0 ]; then
        read -r -p "== press Enter to stop " _
    else
        echo "== DEMO_KEEP=1 without a terminal: stop with SIGTERM or Ctrl-C"
        wait "${PIDS[-1]}" || true
    fi
fi
echo
echo "== stopping; logs and databases stay in $WORK"
