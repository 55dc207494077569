// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";

import {Consortium} from "../../contracts/access/Consortium.sol";
import {IConsortium} from "../../contracts/interfaces/IConsortium.sol";
import {ISettlementToken} from "../../contracts/interfaces/ISettlementToken.sol";
import {FiatGateway} from "../../contracts/token/FiatGateway.sol";
import {SettlementToken} from "../../contracts/token/SettlementToken.sol";
import {Role, Roles} from "../../contracts/types/Membership.sol";

/// @notice Deploys and wires the settlement layer for Solidity tests, exactly as
/// ignition/modules/SettlementLayer.ts does: Consortium, token, gateway, then bindToken,
/// bindGateway and registerContract, all sent by the founding operator.
abstract contract SettlementSetup is CommonBase {
    bytes32 internal constant AGREEMENT = keccak256("framework agreement v1");
    uint40 internal constant NOTICE = 30 days;

    address internal constant OPERATOR = address(0xA11CE);
    address internal constant ISSUER_ADMIN = address(0xAD);
    address internal constant MASTER_MINTER = address(0x3A57E2);
    address internal constant AUDITOR = address(0xA0D17);

    Consortium internal consortium;
    SettlementToken internal token;
    FiatGateway internal gateway;

    function _deploySettlementLayer() internal {
        address[] memory founder = new address[](1);
        founder[0] = OPERATOR;
        consortium = new Consortium(founder, keccak256("founder"), AGREEMENT, NOTICE);
        token = new SettlementToken(IConsortium(address(consortium)), "Capacity Euro", "CEUR");
        gateway = new FiatGateway(
            IConsortium(address(consortium)),
            ISettlementToken(address(token)),
            ISSUER_ADMIN,
            MASTER_MINTER
        );
        vm.startPrank(OPERATOR);
        consortium.bindToken(address(token));
        token.bindGateway(address(gateway));
        consortium.registerContract(address(gateway));
        vm.stopPrank();
        _admit(AUDITOR, Role.Auditor);
    }

    /// @dev Admits a one-account member with one role; the member accepts the agreement.
    function _admit(address account, Role role) internal returns (uint64 memberId) {
        address[] memory accounts = new address[](1);
        accounts[0] = account;
        vm.prank(OPERATOR);
        memberId = consortium.admit(accounts, Roles.bit(role), keccak256(abi.encode(account)));
        vm.prank(account);
        consortium.acceptAgreement(AGREEMENT);
    }

    /// @dev Configures `minter` and attests a reserve of `reserve`, so that it can mint.
    function _enableMinting(address minter, uint256 allowance, uint256 reserve) internal {
        vm.prank(MASTER_MINTER);
        gateway.configureMinter(minter, allowance);
        vm.warp(block.timestamp + 1);
        vm.prank(AUDITOR);
        gateway.attestReserve(reserve, uint40(block.timestamp), keccak256("reserve report"));
    }
}
