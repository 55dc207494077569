/**
 * The main job, end to end on one chain: deploy the settlement layer, admit three companies, mint
 * against bank deposits, pay between members, redeem for bank payouts, and print balances and the
 * reconciliation with the bank.
 *
 *   npm run demo                        # in-process Hardhat network
 *   npm run demo -- --network poaSim    # in process, shaped like a PoA chain (paris, gas price 0)
 *   npm run demo -- --network localhost # a node on 127.0.0.1:8545 (hardhat node, anvil)
 */
import { network } from "hardhat";
import type { Address } from "viem";

import { short } from "../src/format/table.js";
import { Role, roleMask } from "../src/sdk/membership.js";
import { formatEuro, parseEuro } from "../src/sdk/money.js";
import { memberBalances, reconcile, renderBalances, renderReconciliation } from "../src/sdk/reconciliation.js";
import { referenceHash } from "../src/sdk/references.js";
import { SettlementLayer } from "../src/sdk/settlement.js";
import { TransactionRefusedError } from "../src/sdk/transact.js";
import { accountAt, viemChain } from "./lib/chain.js";
import { deployCapacityMarket, renderAddresses } from "./lib/deploy.js";

const connection = await network.create();
const chain = await viemChain(connection);
const step = (text: string): void => console.log(`\n> ${text}`);

console.log(`Settlement layer demo on "${chain.networkName}" (chain id ${chain.chainId})`);

const operator = accountAt(chain, 0, "founding operator");
const provider = accountAt(chain, 1, "provider");
const consumer = accountAt(chain, 2, "consumer");
const auditor = accountAt(chain, 3, "auditor");
const minter = accountAt(chain, 4, "bank integration (minter)");
const outsider = accountAt(chain, 5, "outsider");

step("Deploying Consortium, SettlementToken and FiatGateway with Ignition");
const deployment = await deployCapacityMarket(connection, { deploymentId: `demo-${Date.now()}` });
const layer = new SettlementLayer(chain, deployment.addresses);
console.log(renderAddresses(deployment.addresses));

step("Admitting three companies; each accepts the framework agreement");
const companies: [Address, string, Role][] = [
  [provider, "Laserwerk Nord GmbH", Role.Provider],
  [consumer, "Feinteile Sued KG", Role.Consumer],
  [auditor, "Treuhand Revision AG", Role.Auditor],
];
const labels = new Map<bigint, string>([[1n, "Consortium operator eG"]]);
for (const [account, name, role] of companies) {
  const memberId = await layer.admit(chain.wallet(operator), [account], roleMask(role), referenceHash(name));
  await layer.acceptCurrentAgreement(chain.wallet(account));
  labels.set(memberId, name);
  console.log(`  member ${memberId}: ${name} (${short(account)})`);
}

step("The issuer configures its bank integration as minter; the auditor attests the euro reserve");
await layer.configureMinter(chain.wallet(operator), minter, parseEuro("100000"));
const now = Number((await chain.publicClient.getBlock()).timestamp);
await layer.attestReserve(chain.wallet(auditor), parseEuro("50000"), now, referenceHash("Reserve report 2026-11"));
console.log("  minter allowance 100,000.00 EUR; attested reserve 50,000.00 EUR");

step("Minting against bank deposits (each bank reference mints once)");
const deposits: [Address, string, string][] = [
  [consumer, "20000", "SEPA 2026-11-25 Feinteile Sued 0001"],
  [provider, "2500", "SEPA 2026-11-25 Laserwerk Nord 0001"],
];
for (const [to, amount, reference] of deposits) {
  const outcome = await layer.mintForDeposit(chain.wallet(minter), to, parseEuro(amount), referenceHash(reference));
  console.log(`  ${reference}: ${outcome.status}, ${formatEuro(parseEuro(amount))} EUR to ${short(to)}`);
}
const [retryTo, retryAmount, retryRef] = deposits[0]!;
const retry = await layer.mintForDeposit(
  chain.wallet(minter),
  retryTo,
  parseEuro(retryAmount),
  referenceHash(retryRef),
);
console.log(`  retrying ${retryRef}: ${retry.status} (nothing minted twice)`);

step("Paying between members: the consumer pays the provider for machine time");
await layer.transfer(chain.wallet(consumer), provider, parseEuro("1234.56"));
console.log("  Feinteile Sued KG -> Laserwerk Nord GmbH: 1,234.56 EUR");
try {
  await layer.transfer(chain.wallet(consumer), outsider, parseEuro("1"));
  throw new Error("a transfer to a non-member went through");
} catch (error) {
  if (!(error instanceof TransactionRefusedError)) throw error;
  console.log(`  a payment to a non-member is refused: ${error.errorName}(${short(outsider)})`);
}

step("Redeeming: the provider is paid out, a consumer request is rejected and refunded");
const paidOut = await layer.requestRedemption(
  chain.wallet(provider),
  parseEuro("3000"),
  referenceHash("Payout to DE89 3704 0044 0532 0130 00, Laserwerk Nord GmbH"),
);
await layer.markRedemptionPaid(chain.wallet(operator), paidOut, referenceHash("Bank tx 2026-11-25 OUT-0001"));
console.log(`  redemption ${paidOut}: 3,000.00 EUR paid out, tokens burned`);
const refused = await layer.requestRedemption(
  chain.wallet(consumer),
  parseEuro("500"),
  referenceHash("Payout to an account in another name"),
);
await layer.rejectRedemption(chain.wallet(operator), refused, referenceHash("Payee name does not match the member"));
console.log(`  redemption ${refused}: 500.00 EUR rejected, tokens returned`);

console.log("");
console.log(renderBalances(await memberBalances(layer, labels)));

step("Reconciliation with the bank");
const report = await reconcile(layer, deployment.fromBlock);
console.log(renderReconciliation(report));

const failed = report.checks.filter((check) => !check.ok);
if (failed.length > 0) {
  console.error(`\n${failed.length} reconciliation check(s) failed: ${failed.map((c) => c.name).join("; ")}`);
  process.exitCode = 1;
} else {
  console.log("\nAll reconciliation checks hold.");
}
