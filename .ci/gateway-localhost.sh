#!/usr/bin/env bash
# CI: the device agent and the gateway as processes, end to end, on the deployment that
# `npm run deploy -- --network localhost` made on the node at $CI_RPC_URL (default http://127.0.0.1:8545;
# anvil, paris, a block a second). With the operator commands it admits a provider, a consumer and an
# auditor (fresh accounts, funded by the operator), who accept the agreement; funds the consumer (minter
# allowance, reserve attestation, a mint against a bank deposit); lists a machine with a new device key and
# priced inspections, adds a worker's inspector key to it, and opens an order on it. Then it starts
# scripts/gateway.ts (--depth 2) and checks its GET /clock (the chain's time it judges periods by); runs
# scripts/device-agent.ts with both keys for $CI_REPORTS reports (default 20; device reports and inspections),
# and once more with an empty store, as after a lost disk, for 4 reports: it must go on at the gateway's next
# number (GET /streams) instead of numbering from 1. It waits until the gateway has them all final, checks on
# chain that the order's meter counted each exactly once and charged the tariff's price for exactly what both
# runs reported, that GET /streams agrees with the meter, and stops the gateway. Exits 0 only if every check held.
#
#   DEPLOYMENT_ID=ci-123 bash .ci/gateway-localhost.sh
#
# Environment: DEPLOYMENT_ID (required: ignition/deployments/$DEPLOYMENT_ID/deployed_addresses.json),
# CI_RPC_URL, CI_REPORTS, CI_OPERATOR_KEY (default: anvil's well-known account 0, the deployer and
# founding operator, also the master minter).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

RPC_URL=${CI_RPC_URL:-http://127.0.0.1:8545}
REPORTS=${CI_REPORTS:-20}
OPERATOR_KEY=${CI_OPERATOR_KEY:-0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80}
if ! [[ "$REPORTS" =~ ^[1-9][0-9]*$ ]]; then
  echo "CI_REPORTS must be a whole number from 1; got \"$REPORTS\"."
  exit 2
fi
if [ -z "${DEPLOYMENT_ID:-}" ]; then
  echo "Set DEPLOYMENT_ID to the deployment to use (DEPLOYMENT_ID=x npm run deploy -- --network localhost)."
  exit 2
fi
ADDRESSES="$PWD/ignition/deployments/$DEPLOYMENT_ID/deployed_addresses.json"
if [ ! -f "$ADDRESSES" ]; then
  echo "There is no deployment $DEPLOYMENT_ID ($ADDRESSES is missing); deploy first:"
  echo "  DEPLOYMENT_ID=$DEPLOYMENT_ID npm run deploy -- --network localhost"
  exit 2
fi

WORK=$(mktemp -d)
GATEWAY_PID=""
AGENT_PID=""
cleanup() {
  for pid in $AGENT_PID $GATEWAY_PID; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAILED: $*"
  for log in "$WORK"/*.log "$WORK"/*.err; do
    [ -s "$log" ] || continue
    echo "--- last lines of $(basename "$log")"
    tail -n 15 "$log"
  done
  exit 1
}

# Reads field PATH (dots between keys and array indexes) of the JSON on stdin.
field() {
  node -e '
    let text = "";
    process.stdin.on("data", (d) => (text += d)).on("end", () => {
      let value = JSON.parse(text);
      for (const key of process.argv[1].split(".")) value = value?.[key];
      if (value === undefined) { console.error(`no field ${process.argv[1]} in ${text}`); process.exit(1); }
      console.log(typeof value === "object" ? JSON.stringify(value) : String(value));
    });' "$1"
}

# One JSON-RPC call to the node; prints its result as JSON.
rpc() {
  curl -sf -X POST -H 'content-type: application/json' \
    --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$RPC_URL" | field result
}

# An operator command signed with KEY; its JSON goes to $WORK/ops.json: ops KEY COMMAND [FLAGS...]
ops() {
  local key=$1
  shift
  OPS_PRIVATE_KEY=$key OPS_RPC_URL=$RPC_URL OPS_ADDRESSES=$ADDRESSES \
    node --disable-warning=ExperimentalWarning --import tsx scripts/ops.ts "$@" --json >"$WORK/ops.json" 2>"$WORK/ops.err" ||
    fail "ops $1: $(cat "$WORK/ops.json" "$WORK/ops.err")"
}
result() { field "$1" <"$WORK/ops.json"; }

address_of() { node -p "JSON.parse(require('fs').readFileSync('$ADDRESSES', 'utf8'))['$1']"; }

chain_id=$(rpc eth_chainId '[]' | tr -d '"') || fail "no JSON-RPC node answers at $RPC_URL; start it first"
echo "node at $RPC_URL: chain id $((chain_id)); deployment $DEPLOYMENT_ID"
METER=$(address_of "CapacityMarket#UsageMeter")
REGISTRY=$(address_of "CapacityMarket#MachineRegistry")
TOKEN=$(address_of "SettlementLayer#SettlementToken")
echo "usage meter $METER, machine registry $REGISTRY"

# Fresh accounts (nothing on the chain but the deployment is assumed), funded with ether by the operator;
# the device and inspector keys only sign and need none. Prints "name key address" lines.
accounts_js='
import { createPublicClient, createWalletClient, defineChain, http, parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

const [url, operatorKey, ...names] = process.argv.slice(1);
const transport = http(url);
const publicClient = createPublicClient({ transport, pollingInterval: 200 });
const chain = defineChain({
  id: await publicClient.getChainId(),
  name: "ci",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [url] } },
});
const operator = createWalletClient({ account: privateKeyToAccount(operatorKey), chain, transport });
for (const name of names) {
  const key = generatePrivateKey();
  const address = privateKeyToAccount(key).address;
  if (name !== "device" && name !== "inspector") {
    const hash = await operator.sendTransaction({ to: address, value: parseEther("100") });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`Funding the ${name} failed (tx ${hash}).`);
  }
  console.log(`${name} ${key} ${address}`);
}
'
node --input-type=module -e "$accounts_js" "$RPC_URL" "$OPERATOR_KEY" provider consumer auditor relayer device inspector \
  >"$WORK/accounts" 2>"$WORK/accounts.err" || fail "cannot create and fund the accounts"
key() { grep "^$1 " "$WORK/accounts" | cut -d' ' -f2; }
addr() { grep "^$1 " "$WORK/accounts" | cut -d' ' -f3; }
OPERATOR=$(node --input-type=module -e "import { privateKeyToAccount } from 'viem/accounts'; console.log(privateKeyToAccount('$OPERATOR_KEY').address)")
echo "fresh accounts funded with 100 ETH each by the operator $OPERATOR: provider $(addr provider), consumer $(addr consumer), auditor $(addr auditor), relayer $(addr relayer)"

ops "$OPERATOR_KEY" member admit --accounts "$(addr provider)" --roles provider --record "CI provider $DEPLOYMENT_ID"
provider=$(result memberId)
ops "$OPERATOR_KEY" member admit --accounts "$(addr consumer)" --roles consumer --record "CI consumer $DEPLOYMENT_ID"
consumer=$(result memberId)
ops "$OPERATOR_KEY" member admit --accounts "$(addr auditor)" --roles auditor --record "CI auditor $DEPLOYMENT_ID"
auditor=$(result memberId)
for who in provider consumer auditor; do ops "$(key $who)" member accept-agreement; done
echo "admitted provider member $provider, consumer member $consumer, auditor member $auditor; each accepted the agreement"

# The reserve must cover what is in circulation plus the new deposit.
supply_hex=$(rpc eth_call "[{\"to\":\"$TOKEN\",\"data\":\"0x18160ddd\"},\"latest\"]" | tr -d '"') ||
  fail "cannot read the token's total supply"
reserve=$((supply_hex + 1000000000))
ops "$OPERATOR_KEY" treasury configure-minter --minter "$OPERATOR" --allowance 1000
ops "$(key auditor)" treasury attest-reserve --reserve "$((reserve / 1000000)).$(printf '%06d' $((reserve % 1000000)))" \
  --report "CI reserve report $DEPLOYMENT_ID"
ops "$OPERATOR_KEY" treasury mint --to "$(addr consumer)" --amount 1000 --bank-ref "CI deposit $DEPLOYMENT_ID $(addr consumer)"
minted=$(result status)
[ "$minted" = "minted" ] || fail "the mint reported \"$minted\", not \"minted\""
ops "$OPERATOR_KEY" member balances --account "$(addr consumer)"
balance=$(result balance)
[ "$balance" = "1000000000" ] || fail "the consumer holds $balance base units after the mint, not 1000 EUR"
echo "minted 1000.00 EUR to the consumer against a bank deposit (minter allowance set, reserve attested); it holds 1000.00 EUR"

ops "$(key provider)" machine register --site DE-HH-01 --capabilities laser-cutting,sheet-metal \
  --uri ipfs://ci-laser --spec "CI laser cutter $DEPLOYMENT_ID" --keys "$(addr device)" \
  --price-per-hour 36 --price-per-unit 0.50 --price-per-inspection 2
machine=$(result machineId)
ops "$(key provider)" key add --machine "$machine" --key "$(addr inspector)" --kind inspector
ops "$(key consumer)" order open --machine "$machine" --budget 500 --expires-in 1d --dispute-window 1h
order=$(result orderId)
echo "machine $machine listed with device key $(addr device) and inspector key $(addr inspector); order $order opened on it with 500.00 EUR in escrow"

GATEWAY_RELAYER_KEY=$(key relayer) node --disable-warning=ExperimentalWarning --import tsx scripts/gateway.ts \
  --rpc-url "$RPC_URL" \
  --addresses "$ADDRESSES" --store "$WORK/gateway.sqlite" --port 0 --depth 2 --interval-ms 500 \
  >"$WORK/gateway.log" 2>"$WORK/gateway.err" < /dev/null &
GATEWAY_PID=$!
for _ in $(seq 1 100); do
  grep -q '"event":"ready"' "$WORK/gateway.log" 2>/dev/null && break
  kill -0 "$GATEWAY_PID" 2>/dev/null || fail "the gateway exited before it was ready"
  sleep 0.2
done
grep -q '"event":"ready"' "$WORK/gateway.log" || fail "the gateway was not ready within 20 s"
ready=$(grep -m1 '"event":"ready"' "$WORK/gateway.log")
GATEWAY=$(echo "$ready" | field url)
from_block=$(echo "$ready" | field fromBlock)
ready_meter=$(echo "$ready" | field meter)
ready_registry=$(echo "$ready" | field registry)
[ "${ready_meter,,}" = "${METER,,}" ] || fail "the gateway took its meter from the addresses file wrongly: $ready"
[ "${ready_registry,,}" = "${REGISTRY,,}" ] || fail "the gateway reads keys from another registry than the deployment's: $ready"
[ "$from_block" -ge 1 ] || fail "the gateway would look for earlier recordings from block 0, not where the deployment began: $ready"
echo "gateway ready at $GATEWAY (confirmation depth 2; meter from the addresses file, its registry from the meter, earlier recordings looked up from block $from_block, where the deployment began)"

clock=$(curl -sf "$GATEWAY/clock") || fail "GET $GATEWAY/clock failed"
[ "$(echo "$clock" | field chainId)" = "$((chain_id))" ] || fail "the gateway's clock names another chain: $clock"
[ "$(echo "$clock" | field meter | tr 'A-F' 'a-f')" = "${METER,,}" ] || fail "the gateway's clock names another meter: $clock"
[ "$(echo "$clock" | field toleranceSeconds)" = "60" ] || fail "the gateway's clock tolerance is not the default 60 s: $clock"
echo "gateway clock: the chain's time $(echo "$clock" | field chainTime), this host $(echo "$clock" | field hostAheadSeconds) s ahead of it; periods may end at most 60 s after the chain's time"

# Runs the device agent with both keys: run_agent NAME STORE REPORTS; its output goes to $WORK/NAME.log.
run_agent() {
  DEVICE_KEY=$(key device) DEVICE_INSPECTOR_KEY=$(key inspector) timeout 300 node --disable-warning=ExperimentalWarning --import tsx scripts/device-agent.ts \
    --gateway "$GATEWAY" --rpc-url "$RPC_URL" --meter "$METER" --order "$order" \
    --store "$2" --speed 120 --report-every 1 --tick-ms 250 --reports "$3" \
    >"$WORK/$1.log" 2>"$WORK/$1.err" < /dev/null &
  AGENT_PID=$!
  local agent_status=0
  wait "$AGENT_PID" || agent_status=$?
  AGENT_PID=""
  [ "$agent_status" -eq 0 ] || fail "the device agent ($1) exited with status $agent_status"
  local done_line
  done_line=$(grep -m1 '"event":"done"' "$WORK/$1.log") || fail "the device agent ($1) printed no \"done\" line"
  for name in signed acknowledged; do
    [ "$(echo "$done_line" | field $name)" = "$3" ] || fail "the device agent ($1) $name $(echo "$done_line" | field $name) reports, not $3"
  done
  [ "$(echo "$done_line" | field refused)" = "0" ] || fail "the gateway refused reports ($1): $done_line"
  [ "$(echo "$done_line" | field unacknowledged)" = "0" ] || fail "reports were left unacknowledged ($1): $done_line"
}

# Waits until the gateway has N reports final: gateway_final N; its status goes to $status.
gateway_final() {
  status=""
  for _ in $(seq 1 120); do
    status=$(curl -sf "$GATEWAY/status") || fail "GET $GATEWAY/status failed"
    if [ "$(echo "$status" | field queued)" = "0" ] && [ "$(echo "$status" | field inFlight)" = "0" ] &&
      [ "$(echo "$status" | field confirmed)" = "$1" ]; then
      return
    fi
    sleep 0.5
  done
}

run_agent device "$WORK/device.sqlite" "$REPORTS"
device_ready=$(grep -m1 '"event":"ready"' "$WORK/device.log") || fail "the device agent printed no \"ready\" line"
device_registry=$(echo "$device_ready" | field registry)
[ "${device_registry,,}" = "${REGISTRY,,}" ] || fail "the device agent read registry $device_registry from the meter, not $REGISTRY"
[ "$(echo "$device_ready" | field clock.source)" = "node" ] || fail "the device agent did not date by the node's clock: $device_ready"
[ "$(echo "$device_ready" | field clock.gateway.toleranceSeconds)" = "60" ] || fail "the device agent did not check the gateway's clock: $device_ready"
done_line=$(grep -m1 '"event":"done"' "$WORK/device.log")
device_last=$(echo "$done_line" | field orders.0.device)
inspector_last=$(echo "$done_line" | field orders.0.inspector)
[ "$inspector_last" -ge 1 ] || fail "the device agent cut no inspector report in $REPORTS reports: $done_line"
echo "device agent: $REPORTS reports signed and acknowledged, none refused; last device report $device_last, last inspector report $inspector_last"
gateway_final "$REPORTS"

# The machine's disk is lost: an agent with an empty store goes on after what the gateway and the meter hold.
AGAIN=4
run_agent device-again "$WORK/device-again.sqlite" "$AGAIN"
moved=$(grep '"event":"position"' "$WORK/device-again.log" | grep -m1 '"stream":"device"') || fail "the agent with an empty store printed no position of the device stream"
[ "$(echo "$moved" | field moved)" = "true" ] || fail "the agent with an empty store did not move to the gateway's position: $moved"
[ "$(echo "$moved" | field nextSequence)" = "$((device_last + 1))" ] || fail "the agent with an empty store goes on at $(echo "$moved" | field nextSequence), not $((device_last + 1))"
first_again=$(grep '"event":"signed"' "$WORK/device-again.log" | grep -m1 '"stream":"device"' | field sequence) || fail "the agent with an empty store signed no device report"
[ "$first_again" = "$((device_last + 1))" ] || fail "the agent with an empty store numbered its first device report $first_again, not $((device_last + 1))"
again_line=$(grep -m1 '"event":"done"' "$WORK/device-again.log")
device_last=$(echo "$again_line" | field orders.0.device)
again_inspector=$(echo "$again_line" | field orders.0.inspector)
[ "$again_inspector" -gt "$inspector_last" ] && inspector_last=$again_inspector
echo "device agent with an empty store: went on at device report $first_again (the gateway's next), $AGAIN reports acknowledged; last device report $device_last"

TOTAL=$((REPORTS + AGAIN))
gateway_final "$TOTAL"
for name in stored confirmed recorded; do
  [ "$(echo "$status" | field $name)" = "$TOTAL" ] || fail "the gateway's status has $name $(echo "$status" | field $name), not $TOTAL: $status"
done
for name in duplicate rejected; do
  [ "$(echo "$status" | field $name)" = "0" ] || fail "the gateway's status has $name $(echo "$status" | field $name): $status"
done
echo "gateway: $TOTAL stored, $TOTAL confirmed 2 blocks deep, $TOTAL recorded, none duplicate or rejected"

# What both runs reported, from their "signed" lines.
read -r sum_seconds sum_units sum_inspections < <(node -e '
  const events = process.argv.slice(1).flatMap((file) =>
    require("fs").readFileSync(file, "utf8").split("\n").filter((l) => l.includes("\"event\":\"signed\"")).map((l) => JSON.parse(l)));
  const sum = (field) => events.reduce((s, e) => s + Number(e[field]), 0);
  console.log(sum("machineSeconds"), sum("units"), sum("inspections"));
' "$WORK/device.log" "$WORK/device-again.log")

ops "$OPERATOR_KEY" order list --consumer "$consumer"
metered=$(node -e '
  let text = "";
  process.stdin.on("data", (d) => (text += d)).on("end", () => {
    const order = JSON.parse(text).find((o) => o.orderId === process.argv[1]);
    if (order === undefined) process.exit(1);
    console.log(JSON.stringify({ ...order.metered, available: order.available }));
  });' "$order" <"$WORK/ops.json") || fail "ops orders does not list order $order"
[ "$(echo "$metered" | field deviceSequence)" = "$device_last" ] || fail "the meter's last device report is $(echo "$metered" | field deviceSequence), the agent's $device_last"
[ "$(echo "$metered" | field inspectorSequence)" = "$inspector_last" ] || fail "the meter's last inspector report is $(echo "$metered" | field inspectorSequence), the agent's $inspector_last"
[ "$(echo "$metered" | field machineSeconds)" = "$sum_seconds" ] || fail "the meter counted $(echo "$metered" | field machineSeconds) machine seconds, the agent reported $sum_seconds"
[ "$(echo "$metered" | field units)" = "$sum_units" ] || fail "the meter counted $(echo "$metered" | field units) parts, the agent reported $sum_units"
# The tariff: 36 EUR an hour (0.01 EUR a second), 0.50 EUR a part, 2 EUR an inspection; 500 EUR in escrow.
charged=$((sum_seconds * 10000 + sum_units * 500000 + sum_inspections * 2000000))
[ "$(echo "$metered" | field available)" = "$((500000000 - charged))" ] ||
  fail "the order has $(echo "$metered" | field available) base units left in escrow; the tariff charges $charged for what the agent reported"
topic=$(node --input-type=module -e "import { toEventSelector } from 'viem'; console.log(toEventSelector('ReportRecorded(uint64,bytes32,uint256)'))")
order_topic=0x$(printf '%064x' "$order")
recorded=$(rpc eth_getLogs "[{\"address\":\"$METER\",\"fromBlock\":\"0x0\",\"toBlock\":\"latest\",\"topics\":[\"$topic\",\"$order_topic\"]}]" |
  node -e 'let t = ""; process.stdin.on("data", (d) => (t += d)).on("end", () => { const logs = JSON.parse(t); console.log(logs.length, new Set(logs.map((l) => l.data.slice(0, 66))).size); });')
[ "$recorded" = "$TOTAL $TOTAL" ] || fail "the meter emitted ReportRecorded (count, distinct digests) $recorded for order $order, not $TOTAL $TOTAL"
echo "chain: order $order's meter has device report $device_last, inspector report $inspector_last, $sum_seconds machine seconds and $sum_units parts, as both runs reported, and charged $charged base units for them and the $sum_inspections inspection(s); $TOTAL ReportRecorded events, one per report"

position=$(curl -sf "$GATEWAY/streams/$order/device") || fail "GET $GATEWAY/streams/$order/device failed"
[ "$(echo "$position" | field nextSequence)" = "$((device_last + 1))" ] || fail "GET /streams says the next device report is $(echo "$position" | field nextSequence), not $((device_last + 1)): $position"
[ "$(echo "$position" | field recorded.lastSequence)" = "$device_last" ] || fail "GET /streams says the meter recorded $(echo "$position" | field recorded.lastSequence) device reports, not $device_last: $position"
[ "$(echo "$position" | field periodStart)" = "$(echo "$position" | field recorded.periodEnd)" ] || fail "GET /streams puts the next period elsewhere than where the meter's last one ended: $position"
echo "GET /streams: the next device report is $((device_last + 1)), from $(echo "$position" | field periodStart), where the meter's last period ended"

kill -TERM "$GATEWAY_PID"
gateway_status=0
wait "$GATEWAY_PID" || gateway_status=$?
GATEWAY_PID=""
[ "$gateway_status" -eq 0 ] || fail "the gateway exited with status $gateway_status when stopped"
grep -q '"event":"stopped"' "$WORK/gateway.log" || fail "the gateway did not say it stopped"
echo "gateway stopped"
echo "every check passed"
