import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * The settlement layer: Consortium, SettlementToken and FiatGateway, wired together.
 *
 * The deploying account becomes the founding member's account and the first operator; it sends the
 * wiring calls. Parameters (see ignition/parameters/<network>.json):
 * - founderMetadata: hash of the founding member's off-chain record
 * - agreementHash: hash of the first framework agreement (the founder accepts it by deploying)
 * - noticePeriod: seconds between an exit request and its earliest completion
 * - tokenName, tokenSymbol: the settlement token's name (also its EIP-712 domain name) and symbol
 * - gatewayAdmin: grants and revokes the master minter role (default: the deployer)
 * - masterMinter: sets minters and their allowances (default: the deployer)
 */
export default buildModule("SettlementLayer", (m) => {
  const deployer = m.getAccount(0);

  const consortium = m.contract("Consortium", [
    [deployer],
    m.getParameter<string>("founderMetadata"),
    m.getParameter<string>("agreementHash"),
    m.getParameter<number>("noticePeriod", 90 * 24 * 60 * 60),
  ]);
  const token = m.contract("SettlementToken", [
    consortium,
    m.getParameter<string>("tokenName", "Capacity Euro"),
    m.getParameter<string>("tokenSymbol", "CEUR"),
  ]);
  const gateway = m.contract("FiatGateway", [
    consortium,
    token,
    m.getParameter("gatewayAdmin", deployer),
    m.getParameter("masterMinter", deployer),
  ]);

  m.call(consortium, "bindToken", [token]);
  m.call(token, "bindGateway", [gateway]);
  m.call(consortium, "registerContract", [gateway]);

  return { consortium, token, gateway };
});
