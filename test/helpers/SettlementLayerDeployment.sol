// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "forge-std/Vm.sol";

import {Consortium} from "../../contracts/access/Consortium.sol";
import {FiatGateway} from "../../contracts/token/FiatGateway.sol";
import {SettlementToken} from "../../contracts/token/SettlementToken.sol";

/// @notice The settlement layer wired as `ignition/modules/SettlementLayer.ts` wires it, for Solidity tests.
/// @dev The founder deploys every contract and sends the wiring calls, as the module's deployer does.
/// Internal functions are inlined, so the contracts are created by the calling test or handler.
library SettlementLayerDeployment {
    Vm private constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev Same text as the TypeScript fixture's `referenceHash("Capacity consortium ... v1 (development)")`.
    bytes32 internal constant AGREEMENT_V1 = keccak256("Capacity consortium framework agreement v1 (development)");
    bytes32 internal constant FOUNDER_METADATA = keccak256("Founding member record (development)");
    uint40 internal constant NOTICE_PERIOD = 90 days;
    string internal constant TOKEN_NAME = "Capacity Euro";
    string internal constant TOKEN_SYMBOL = "CEUR";

    struct Deployed {
        Consortium consortium;
        SettlementToken token;
        FiatGateway gateway;
    }

    /// @notice Deploys Consortium, SettlementToken and FiatGateway and wires them as the Ignition module does.
    function deploy(address founder, address gatewayAdmin, address masterMinter) internal returns (Deployed memory d) {
        address[] memory founderAccounts = new address[](1);
        founderAccounts[0] = founder;
        VM.startPrank(founder);
        d.consortium = new Consortium(founderAccounts, FOUNDER_METADATA, AGREEMENT_V1, NOTICE_PERIOD);
        d.token = new SettlementToken(d.consortium, TOKEN_NAME, TOKEN_SYMBOL);
        d.gateway = new FiatGateway(d.consortium, d.token, gatewayAdmin, masterMinter);
        d.consortium.bindToken(address(d.token));
        d.token.bindGateway(address(d.gateway));
        d.consortium.registerContract(address(d.gateway));
        VM.stopPrank();
    }

    /// @notice Admits a member as `operator` and has it accept the current agreement from its first account.
    function admitMember(
        Consortium consortium,
        address operator,
        address[] memory accounts,
        uint8 roles
    ) internal returns (uint64 memberId) {
        VM.prank(operator);
        memberId = consortium.admit(accounts, roles, keccak256(abi.encode("member record", accounts[0])));
        (, bytes32 current) = consortium.currentAgreement();
        VM.prank(accounts[0]);
        consortium.acceptAgreement(current);
    }
}
