/**
 * Deploys the whole system (settlement layer and registries) to the selected network with Ignition and prints the addresses.
 *
 *   npm run deploy -- --network localhost
 *   npm run deploy -- --network poa
 *
 * Parameters come from ignition/parameters/<network>.json and are checked before anything is sent.
 * The deployment id defaults to settlement-<chain id> (override with DEPLOYMENT_ID); running the same
 * command again after an interruption resumes the deployment from Ignition's journal instead of
 * starting over.
 */
import { network } from "hardhat";

import { chainSettings, isNetworkName } from "../config/networks.js";
import { viemChain } from "../src/chain/hardhat.js";
import { deployCapacityMarket, renderAddresses } from "../deploy/deploy.js";

const connection = await network.create();
const chain = await viemChain(connection);
const name = connection.networkName;
const expected = isNetworkName(name) ? chainSettings()[name].chainId : 0;
if (expected === 0 && connection.networkConfig.type === "http") {
  throw new Error(
    `Set the chain id of network "${name}" (POA_CHAIN_ID for poa, see .env.example) so that a deployment ` +
      `can never go to the wrong chain; its node reports ${chain.chainId}.`,
  );
}
if (expected !== 0 && expected !== chain.chainId) {
  throw new Error(
    `Network "${name}" is configured for chain id ${expected}, but its node reports ${chain.chainId}. ` +
      `Fix the chain id in your .env (see .env.example) or point the RPC URL at the right chain.`,
  );
}
const deploymentId = process.env.DEPLOYMENT_ID || `settlement-${chain.chainId}`;
console.log(
  `Deploying the capacity market to "${name}" (chain id ${chain.chainId}) as deployment "${deploymentId}"...`,
);
const deployment = await deployCapacityMarket(connection, { deploymentId });
console.log(renderAddresses(deployment.addresses, deployment.addressesFile));
console.log(`\nParameters: ${deployment.parametersFile}`);
if (connection.networkConfig.type === "http") {
  console.log(`Ignition journal and addresses: ignition/deployments/${deploymentId}/`);
}
