import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";
import type { HttpNetworkUserConfig, NetworkUserConfig } from "hardhat/types/config";

import {
  chainSettings,
  edrHardfork,
  evmTargetFor,
  isNetworkName,
  selectedNetwork,
  type ChainSettings,
} from "./config/networks.js";

// Deployment settings may live in a local .env (see .env.example); real environment variables win.
const envFile = fileURLToPath(new URL(".env", import.meta.url));
if (existsSync(envFile)) process.loadEnvFile(envFile);

const require = createRequire(import.meta.url);

/** The one compiler this project uses, from the npm package `solc`: nothing is downloaded. */
const SOLC_VERSION = "0.8.30";
const SOLC_PATH = require.resolve("solc/soljson.js");

const chains = chainSettings();
const network = selectedNetwork();
const evmVersion = evmTargetFor(network);

function gasPrice(chain: ChainSettings): NetworkUserConfig["gasPrice"] {
  if (chain.gasPrice === "zero") return 0n;
  return chain.gasPrice;
}

function jsonRpcNetwork(
  chain: ChainSettings,
  url: HttpNetworkUserConfig["url"],
  accounts: HttpNetworkUserConfig["accounts"],
): HttpNetworkUserConfig {
  return {
    type: "http",
    chainType: "l1",
    url,
    chainId: chain.chainId === 0 ? undefined : chain.chainId,
    gasPrice: gasPrice(chain),
    accounts,
  };
}

/**
 * The compiler settings of every build profile. Optimised in every profile: unoptimised, MachineRegistry
 * exceeds the 24 KiB code size limit that real chains (and anvil) enforce, and tests should run the bytecode
 * that gets deployed. PaymentChannels, whose every transaction is on a payment's path, and UsageMeter, whose
 * report path every usage report takes, are compiled through the IR pipeline and optimised for many runs
 * (about 700 gas per claim, 800 per open and 400 per report in a batch, see the README's design section);
 * their code stays under the size limit (UsageMeter about 20 KB).
 */
const solidityProfile = {
  compilers: [
    { version: SOLC_VERSION, path: SOLC_PATH, settings: { evmVersion, optimizer: { enabled: true, runs: 200 } } },
  ],
  overrides: {
    "contracts/metering/UsageMeter.sol": {
      version: SOLC_VERSION,
      path: SOLC_PATH,
      settings: { evmVersion, viaIR: true, optimizer: { enabled: true, runs: 1_000_000 } },
    },
    "contracts/channels/PaymentChannels.sol": {
      version: SOLC_VERSION,
      path: SOLC_PATH,
      settings: { evmVersion, viaIR: true, optimizer: { enabled: true, runs: 1_000_000 } },
    },
  },
};

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    profiles: {
      default: solidityProfile,
      production: solidityProfile,
    },
  },
  networks: {
    default: {
      type: "edr-simulated",
      chainType: "l1",
      chainId: chains.default.chainId,
      hardfork: edrHardfork(chains.default.evmTarget),
    },
    poaSim: {
      type: "edr-simulated",
      chainType: "l1",
      chainId: chains.poaSim.chainId,
      hardfork: edrHardfork(chains.poaSim.evmTarget),
      gasPrice: 0n,
      initialBaseFeePerGas: 0n,
    },
    localhost: jsonRpcNetwork(
      chains.localhost,
      process.env.LOCALHOST_RPC_URL || "http://127.0.0.1:8545",
      process.env.LOCALHOST_DEPLOYER_KEY ? [configVariable("LOCALHOST_DEPLOYER_KEY")] : "remote",
    ),
    poa: jsonRpcNetwork(chains.poa, configVariable("POA_RPC_URL"), [configVariable("POA_DEPLOYER_KEY")]),
  },
  test: {
    solidity: {
      fuzz: { runs: 256 },
      invariant: { runs: 64, depth: 64, failOnRevert: false },
    },
  },
  ignition: {
    requiredConfirmations: isNetworkName(network) ? chains[network].confirmations : 1,
  },
  typechain: {
    outDir: "typechain-types",
  },
});
