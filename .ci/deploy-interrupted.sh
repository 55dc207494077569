#!/usr/bin/env bash
# Kills a deployment to the node on 127.0.0.1:8545 half way, runs the same command again, and checks that
# it resumed: the contracts deployed before the kill keep their addresses, the rest completes.
#
#   .ci/deploy-interrupted.sh after-first-contract   kill once the Consortium is deployed
#   .ci/deploy-interrupted.sh while-sending          kill after the 5th transaction reached the node but
#                                                    before Ignition journaled it (a proxy withholds the
#                                                    node's answer); the rerun must find and record it
set -u
mode=${1:?"mode: after-first-contract or while-sending"}
id="ci-interrupted-$mode-$(date +%s)"
journal="ignition/deployments/$id/journal.jsonl"
url=http://127.0.0.1:8545
marker=$(mktemp -u)
proxy=""
trap '[ -n "$proxy" ] && kill -- "-$proxy" 2>/dev/null' EXIT

consortium_done() {
  [ -f "$journal" ] && grep 'DEPLOYMENT_EXECUTION_STATE_COMPLETE' "$journal" | grep -q '"futureId":"SettlementLayer#Consortium"'
}
if [ "$mode" = while-sending ]; then
  setsid npx tsx .ci/hold-send-proxy.ts 8546 "$url" 5 "$marker" &
  proxy=$!
  for _ in $(seq 1 60); do
    curl -s -o /dev/null -X POST -H 'content-type: application/json' \
      --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' http://127.0.0.1:8546 && break
    sleep 0.5
  done
  url=http://127.0.0.1:8546
  stop_when() { [ -s "$marker" ]; }
else
  stop_when() { consortium_done; }
fi

log=$(mktemp)
setsid bash -c "DEPLOYMENT_ID=$id LOCALHOST_RPC_URL=$url npm run deploy -- --network localhost" >"$log" 2>&1 &
group=$!
for _ in $(seq 1 3000); do
  stop_when && break
  sleep 0.1
done
kill -9 -- "-$group" 2>/dev/null
wait "$group" 2>/dev/null

completed=$(grep -c 'EXECUTION_STATE_COMPLETE' "$journal" 2>/dev/null || echo 0)
echo "killed after $completed of 16 steps completed"
if ! stop_when || [ "$completed" -lt 1 ] || [ "$completed" -ge 16 ]; then
  echo "the deployment was not stopped half way; cannot test resuming"
  tail -n 20 "$log"
  exit 1
fi
consortium=$(grep 'DEPLOYMENT_EXECUTION_STATE_COMPLETE' "$journal" | grep '"futureId":"SettlementLayer#Consortium"' |
  grep -oE '"address":"0x[0-9a-fA-F]{40}"' | head -n 1 | grep -oE '0x[0-9a-fA-F]{40}')
echo "Consortium deployed before the kill: $consortium"
if [ "$mode" = while-sending ]; then
  held=$(grep -oE '"result":"0x[0-9a-fA-F]{64}"' "$marker" | grep -oE '0x[0-9a-fA-F]{64}')
  prepared=$(grep -c '"type":"TRANSACTION_PREPARE_SEND"' "$journal")
  sent=$(grep -c '"type":"TRANSACTION_SEND"' "$journal")
  echo "the node took transaction $held; the journal has $prepared transactions prepared, $sent recorded as sent"
  if [ -z "$held" ] || [ "$prepared" -ne $((sent + 1)) ]; then
    echo "the kill did not land between sending a transaction and journaling it"
    exit 1
  fi
fi

output=$(DEPLOYMENT_ID=$id npm run deploy -- --network localhost 2>&1) || { echo "$output"; exit 1; }
echo "$output" | grep -E '^Resuming: ' || true
echo "$output" | grep -E '^(consortium|token|gateway|licenseRegistry|machineRegistry|usageMeter|readingVerifier|paymentChannels) '
resumed=$(echo "$output" | grep -E '^consortium ' | grep -oE '0x[0-9a-fA-F]{40}')
if [ "${resumed,,}" != "${consortium,,}" ]; then
  echo "the second run deployed a new Consortium ($resumed) instead of resuming ($consortium)"
  exit 1
fi
if [ "$mode" = while-sending ] && ! echo "$output" | grep -q "had reached the node before the kill; recorded its hash $held"; then
  echo "the second run did not record the transaction the node had taken ($held)"
  exit 1
fi
steps=$(grep -c 'EXECUTION_STATE_COMPLETE' "$journal")
echo "after resuming: $steps of 16 steps completed"
[ "$steps" -eq 16 ]
