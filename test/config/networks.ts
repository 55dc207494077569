import { expect } from "chai";

import {
  DEFAULT_EVM_TARGET,
  chainSettings,
  edrHardfork,
  evmTargetFor,
  parseEvmTarget,
  parseGasPrice,
  selectedNetwork,
} from "../../config/networks.js";

describe("config/networks", function () {
  describe("selectedNetwork", function () {
    it("reads --network <name>", function () {
      expect(selectedNetwork(["node", "hardhat", "run", "x.ts", "--network", "poaSim"], {})).to.equal("poaSim");
    });

    it("reads --network=<name>", function () {
      expect(selectedNetwork(["hardhat", "--network=localhost", "test"], {})).to.equal("localhost");
    });

    it("falls back to HARDHAT_NETWORK", function () {
      expect(selectedNetwork(["hardhat", "test"], { HARDHAT_NETWORK: "poa" })).to.equal("poa");
    });

    it("defaults to the in-process network", function () {
      expect(selectedNetwork(["hardhat", "test"], {})).to.equal("default");
    });

    it("ignores a trailing --network without a name", function () {
      expect(selectedNetwork(["hardhat", "--network"], {})).to.equal("default");
    });
  });

  describe("evmTargetFor", function () {
    it("uses the network's own target", function () {
      expect(evmTargetFor("poaSim", {})).to.equal("paris");
      expect(evmTargetFor("default", {})).to.equal(DEFAULT_EVM_TARGET);
      expect(evmTargetFor("poa", { POA_EVM_TARGET: "london" })).to.equal("london");
    });

    it("lets EVM_TARGET override every network", function () {
      expect(evmTargetFor("default", { EVM_TARGET: "shanghai" })).to.equal("shanghai");
    });

    it("uses the default target for networks it does not know", function () {
      expect(evmTargetFor("someOtherNetwork", {})).to.equal(DEFAULT_EVM_TARGET);
    });

    it("refuses an unknown target, naming the variable and the valid ones", function () {
      expect(() => evmTargetFor("default", { EVM_TARGET: "berlin" })).to.throw(/EVM_TARGET="berlin".*london, paris/);
    });
  });

  describe("chainSettings", function () {
    it("reads the PoA chain from the environment", function () {
      const poa = chainSettings({
        POA_CHAIN_ID: "2026",
        POA_EVM_TARGET: "shanghai",
        POA_GAS_PRICE: "1000",
        POA_CONFIRMATIONS: "2",
      }).poa;
      expect(poa).to.deep.equal({
        kind: "json-rpc",
        chainId: 2026,
        evmTarget: "shanghai",
        gasPrice: 1000n,
        confirmations: 2,
      });
    });

    it("defaults the PoA chain to paris, free gas and one confirmation", function () {
      const poa = chainSettings({}).poa;
      expect(poa.evmTarget).to.equal("paris");
      expect(poa.gasPrice).to.equal("zero");
      expect(poa.confirmations).to.equal(1);
    });

    it("refuses a chain id that is not a whole number", function () {
      expect(() => chainSettings({ POA_CHAIN_ID: "12a" })).to.throw(/POA_CHAIN_ID="12a" is not a whole number/);
    });
  });

  describe("parseGasPrice", function () {
    it("knows zero, auto and wei", function () {
      expect(parseGasPrice("X", "zero")).to.equal("zero");
      expect(parseGasPrice("X", "0")).to.equal("zero");
      expect(parseGasPrice("X", "auto")).to.equal("auto");
      expect(parseGasPrice("X", "7")).to.equal(7n);
    });

    it("refuses anything else with the accepted forms", function () {
      expect(() => parseGasPrice("POA_GAS_PRICE", "cheap")).to.throw(/POA_GAS_PRICE="cheap".*"zero".*"auto"/);
    });
  });

  it("maps paris to EDR's merge hardfork and keeps the others", function () {
    expect(edrHardfork("paris")).to.equal("merge");
    expect(edrHardfork("prague")).to.equal("prague");
    expect(parseEvmTarget("x", "cancun")).to.equal("cancun");
  });
});
