// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IConsortium} from "../interfaces/IConsortium.sol";
import {IFiatGateway} from "../interfaces/IFiatGateway.sol";
import {IObligations} from "../interfaces/IObligations.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {Role} from "../types/Membership.sol";

/// @title FiatGateway
/// @notice Mints the settlement token against bank deposits and redeems it for bank payouts.
/// @dev The token's only minter and burner. Its own token balance always equals the sum of pending
/// redemptions: the token lets a consortium contract receive only what it pulls itself.
contract FiatGateway is IFiatGateway, AccessControl {
    using SafeERC20 for IERC20;

    struct Minter {
        bool active;
        uint128 allowance;
    }

    /// @inheritdoc IFiatGateway
    bytes32 public constant MASTER_MINTER_ROLE = keccak256("MASTER_MINTER_ROLE");

    IConsortium private immutable _consortium;
    ISettlementToken private immutable _token;

    mapping(address minter => Minter) private _minters;
    mapping(bytes32 bankRef => MintRecord) private _mints;
    mapping(uint64 redemptionId => Redemption) private _redemptions;
    mapping(uint64 memberId => uint256 count) private _pendingCount;

    uint128 private _reserve;
    uint40 private _reserveAsOf;
    uint64 private _redemptionCount;
    uint128 private _pendingTotal;

    /// @notice Deploys the gateway; operators then bind it to the token and register it with the Consortium.
    /// @param consortium_ The Consortium that says who is a member, an operator, an auditor.
    /// @param token_ The settlement token this gateway mints and burns.
    /// @param admin The account that grants and revokes MASTER_MINTER_ROLE (the issuer's compliance key).
    /// @param masterMinter The first holder of MASTER_MINTER_ROLE.
    constructor(IConsortium consortium_, ISettlementToken token_, address admin, address masterMinter) {
        if (admin == address(0)) revert FiatGatewayInvalidAdmin(admin);
        _consortium = consortium_;
        _token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (masterMinter != address(0)) _grantRole(MASTER_MINTER_ROLE, masterMinter);
    }

    /*//////////////////////////////////////////////////////////////
                            READ-ONLY FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view override(AccessControl, IERC165) returns (bool) {
        return
            interfaceId == type(IObligations).interfaceId ||
            interfaceId == type(IFiatGateway).interfaceId ||
            super.supportsInterface(interfaceId);
    }

    /// @inheritdoc IObligations
    function openObligations(uint64 memberId) external view returns (uint256 count) {
        return _pendingCount[memberId];
    }

    /// @inheritdoc IFiatGateway
    function isMinter(address account) external view returns (bool) {
        return _minters[account].active;
    }

    /// @inheritdoc IFiatGateway
    function minterAllowance(address minter) external view returns (uint256) {
        return _minters[minter].allowance;
    }

    /// @inheritdoc IFiatGateway
    function mintOf(bytes32 bankRef) external view returns (MintRecord memory) {
        return _mints[bankRef];
    }

    /// @inheritdoc IFiatGateway
    function attestedReserve() external view returns (uint256 reserve, uint40 asOf) {
        return (_reserve, _reserveAsOf);
    }

    /// @inheritdoc IFiatGateway
    function getRedemption(uint64 redemptionId) external view returns (Redemption memory) {
        return _redemptions[redemptionId];
    }

    /// @inheritdoc IFiatGateway
    function redemptionCount() external view returns (uint64) {
        return _redemptionCount;
    }

    /// @inheritdoc IFiatGateway
    function pendingTotal() external view returns (uint256) {
        return _pendingTotal;
    }

    /*//////////////////////////////////////////////////////////////
                          STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IFiatGateway
    function configureMinter(address minter, uint256 allowance) external onlyRole(MASTER_MINTER_ROLE) {
        if (minter == address(0)) revert FiatGatewayInvalidMinter(minter);
        _minters[minter] = Minter({active: true, allowance: SafeCast.toUint128(allowance)});
        emit MinterConfigured(minter, allowance);
    }

    /// @inheritdoc IFiatGateway
    function removeMinter(address minter) external onlyRole(MASTER_MINTER_ROLE) {
        if (!_minters[minter].active) revert FiatGatewayNotMinter(minter);
        delete _minters[minter];
        emit MinterRemoved(minter);
    }

    /// @inheritdoc IFiatGateway
    function mint(address to, uint256 amount, bytes32 bankRef) external {
        Minter storage minter = _minters[msg.sender];
        if (!minter.active) revert FiatGatewayNotMinter(msg.sender);
        if (amount == 0) revert FiatGatewayZeroAmount();
        if (bankRef == bytes32(0)) revert FiatGatewayZeroBankReference();
        if (_mints[bankRef].amount != 0) revert FiatGatewayBankReferenceUsed(bankRef);
        uint256 allowance = minter.allowance;
        if (amount > allowance) revert FiatGatewayAllowanceExceeded(msg.sender, amount, allowance);
        uint256 supplyAfter = _token.totalSupply() + amount;
        if (supplyAfter > _reserve) revert FiatGatewayReserveExceeded(supplyAfter, _reserve);
        // Cannot underflow: amount <= allowance was checked above.
        unchecked {
            minter.allowance = uint128(allowance - amount);
        }
        _mints[bankRef] = MintRecord({to: to, amount: SafeCast.toUint96(amount)});
        _token.mint(to, amount);
        emit Minted(bankRef, msg.sender, to, amount, allowance - amount);
    }

    /// @inheritdoc IFiatGateway
    function attestReserve(uint256 reserve, uint40 asOf, bytes32 reportHash) external {
        uint64 auditor = _consortium.requireRole(msg.sender, Role.Auditor);
        if (asOf > block.timestamp) revert FiatGatewayAttestationInFuture(asOf, block.timestamp);
        if (asOf <= _reserveAsOf) revert FiatGatewayAttestationOutdated(asOf, _reserveAsOf);
        _reserve = SafeCast.toUint128(reserve);
        _reserveAsOf = asOf;
        emit ReserveAttested(auditor, reserve, asOf, reportHash, _token.totalSupply());
    }

    /// @inheritdoc IFiatGateway
    function requestRedemption(uint256 amount, bytes32 payoutRef) external returns (uint64 redemptionId) {
        return _requestRedemption(amount, payoutRef);
    }

    /// @inheritdoc IFiatGateway
    function requestRedemptionWithPermit(
        uint256 amount,
        bytes32 payoutRef,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint64 redemptionId) {
        // A permit that someone else submitted first has already set the allowance; go on with it.
        try _token.permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {} // solhint-disable-line no-empty-blocks
        return _requestRedemption(amount, payoutRef);
    }

    /// @inheritdoc IFiatGateway
    function markRedemptionPaid(uint64 redemptionId, bytes32 bankTxRef) external {
        _consortium.requireRole(msg.sender, Role.Operator);
        if (bankTxRef == bytes32(0)) revert FiatGatewayZeroBankTxReference();
        Redemption storage redemption = _settle(redemptionId, RedemptionStatus.Paid);
        uint256 amount = redemption.amount;
        _token.burn(amount);
        emit RedemptionPaid(redemptionId, redemption.memberId, amount, redemption.payoutRef, bankTxRef);
    }

    /// @inheritdoc IFiatGateway
    function rejectRedemption(uint64 redemptionId, bytes32 reasonHash) external {
        _consortium.requireRole(msg.sender, Role.Operator);
        Redemption storage redemption = _settle(redemptionId, RedemptionStatus.Rejected);
        uint64 memberId = redemption.memberId;
        address refundTo = redemption.account;
        (uint64 owner, bool active) = _consortium.memberOf(refundTo);
        if (owner != memberId || !active) refundTo = _consortium.accountsOf(memberId)[0];
        uint256 amount = redemption.amount;
        IERC20(address(_token)).safeTransfer(refundTo, amount);
        emit RedemptionRejected(redemptionId, memberId, refundTo, amount, reasonHash);
    }

    /*//////////////////////////////////////////////////////////////
                     INTERNAL STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    function _requestRedemption(uint256 amount, bytes32 payoutRef) internal returns (uint64 redemptionId) {
        uint64 memberId = _consortium.requireMember(msg.sender);
        if (amount == 0) revert FiatGatewayZeroAmount();
        if (payoutRef == bytes32(0)) revert FiatGatewayZeroPayoutReference();
        uint128 locked = SafeCast.toUint128(amount);
        redemptionId = ++_redemptionCount;
        _redemptions[redemptionId] = Redemption({
            account: msg.sender,
            memberId: memberId,
            status: RedemptionStatus.Pending,
            amount: locked,
            requestedAt: uint40(block.timestamp),
            settledAt: 0,
            payoutRef: payoutRef
        });
        _pendingTotal += locked;
        ++_pendingCount[memberId];
        IERC20(address(_token)).safeTransferFrom(msg.sender, address(this), amount);
        emit RedemptionRequested(redemptionId, memberId, msg.sender, amount, payoutRef);
    }

    /// @dev Moves a pending redemption to its final status and releases it from the pending totals.
    function _settle(uint64 redemptionId, RedemptionStatus status) internal returns (Redemption storage redemption) {
        redemption = _redemptions[redemptionId];
        RedemptionStatus current = redemption.status;
        if (current == RedemptionStatus.None) revert FiatGatewayUnknownRedemption(redemptionId);
        if (current != RedemptionStatus.Pending) revert FiatGatewayRedemptionNotPending(redemptionId, current);
        redemption.status = status;
        redemption.settledAt = uint40(block.timestamp);
        // Cannot underflow: the redemption's amount and count were added when it was requested.
        unchecked {
            _pendingTotal -= redemption.amount;
            --_pendingCount[redemption.memberId];
        }
    }
}
