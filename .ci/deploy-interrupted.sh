#!/usr/bin/env bash
# Kills a deployment to the node on 127.0.0.1:8545 after its first contract is deployed, runs the same
# command again, and checks that it resumed: the first contract keeps its address, the rest completes.
set -u
id="ci-interrupted-$(date +%s)"
journal="ignition/deployments/$id/journal.jsonl"

setsid bash -c "DEPLOYMENT_ID=$id npm run deploy -- --network localhost" >/dev/null 2>&1 &
group=$!
for _ in $(seq 1 240); do
  if [ -f "$journal" ] && grep -q '"futureId":"SettlementLayer#Consortium".*DEPLOYMENT_EXECUTION_STATE_COMPLETE\|DEPLOYMENT_EXECUTION_STATE_COMPLETE.*"futureId":"SettlementLayer#Consortium"' "$journal"; then
    break
  fi
  sleep 0.25
done
kill -9 -- "-$group" 2>/dev/null
wait "$group" 2>/dev/null

completed=$(grep -c 'EXECUTION_STATE_COMPLETE' "$journal" 2>/dev/null || echo 0)
echo "killed after $completed of 16 steps completed"
if [ "$completed" -lt 1 ] || [ "$completed" -ge 16 ]; then
  echo "the deployment was not stopped half way; cannot test resuming"
  exit 1
fi
consortium=$(grep 'DEPLOYMENT_EXECUTION_STATE_COMPLETE' "$journal" | grep '"futureId":"SettlementLayer#Consortium"' |
  grep -oE '"address":"0x[0-9a-fA-F]{40}"' | head -n 1 | grep -oE '0x[0-9a-fA-F]{40}')
echo "Consortium deployed before the kill: $consortium"

output=$(DEPLOYMENT_ID=$id npm run deploy -- --network localhost 2>&1) || { echo "$output"; exit 1; }
echo "$output" | grep -E '^(consortium|token|gateway|licenseRegistry|machineRegistry|usageMeter|readingVerifier|paymentChannels) '
resumed=$(echo "$output" | grep -E '^consortium ' | grep -oE '0x[0-9a-fA-F]{40}')
if [ "${resumed,,}" != "${consortium,,}" ]; then
  echo "the second run deployed a new Consortium ($resumed) instead of resuming ($consortium)"
  exit 1
fi
steps=$(grep -c 'EXECUTION_STATE_COMPLETE' "$journal")
echo "after resuming: $steps of 16 steps completed"
[ "$steps" -eq 16 ]
