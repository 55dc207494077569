// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {Consortium} from "../../contracts/access/Consortium.sol";
import {PaymentChannels} from "../../contracts/channels/PaymentChannels.sol";
import {IConsortium} from "../../contracts/interfaces/IConsortium.sol";
import {IPaymentChannels} from "../../contracts/interfaces/IPaymentChannels.sol";
import {ISettlementToken} from "../../contracts/interfaces/ISettlementToken.sol";
import {FiatGateway} from "../../contracts/token/FiatGateway.sol";
import {SettlementToken} from "../../contracts/token/SettlementToken.sol";
import {AccountStanding, Role, Roles} from "../../contracts/types/Membership.sol";
import {SettlementLayerDeployment} from "../helpers/SettlementLayerDeployment.sol";

/// @notice Drives PaymentChannels registered with the Consortium of the whole settlement layer (token, gateway)
/// with bounded random actions: consumers (and a member that is both consumer and provider) open channels to
/// providers, with a plain approval or a permit, and reopen pairs with the same salt in the same and in later
/// blocks; payers top up and sign vouchers at rising cumulative amounts (some above the deposit); payees claim
/// the newest or a stale voucher, singly and in batches (mixing in vouchers of closed channels); payers close
/// cooperatively, start closing alone, and anyone settles, early and late; payees give channels up; time and
/// blocks pass; operators change the shortest challenge period, pause and unpause the token and publish new
/// framework agreements, which members accept (or not yet); members ask to leave and change their minds, and
/// retire a party's account (refused while it is a party of open channels: the token holds a payer's, the
/// Consortium refuses a payee's; allowed once its channels are closed; its tokens are swept to the member's
/// spare account). The handler also plays
/// the attacker: vouchers and close authorisations for another channel, for an older id of the same pair, for
/// another chain, for another deployment, stolen by another payee, altered or self-signed.
/// Each call's outcome is predicted from the contract's rules before it is sent, and the ghost state is built
/// from what actually happened (outcomes and token movements); the invariants compare the contract with it.
contract PaymentChannelsHandler is CommonBase, StdUtils {
    /// @dev 2025-01-01, when the system is deployed.
    uint40 public constant START = 1_735_689_600;
    uint24 public constant INITIAL_MIN_CHALLENGE = 1 hours;
    uint256 public constant MAX_CHANNELS = 20;
    uint256 internal constant MAX_VOUCHERS = 12;
    uint256 internal constant MAX_BATCH = 4;
    uint256 internal constant MAX_WARP = 2 days;
    uint256 internal constant MAX_CHALLENGE = 3 days;
    uint256 internal constant MAX_LIFETIME = 14 days;
    uint256 internal constant PAYER_FUNDS = 1_000_000e6;
    uint256 internal constant FIRST_KEY = 0xC4A77E1;
    bytes32 internal constant DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );
    bytes32 internal constant VOUCHER_TYPEHASH = keccak256(
        "Voucher(address payee,uint96 nonce,uint256 amount,bytes32 usage)"
    );
    bytes32 internal constant CLOSE_TYPEHASH = keccak256("CloseAuthorization(bytes32 channel,uint256 amount)");
    bytes32 internal constant PERMIT_TYPEHASH = keccak256(
        "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
    );

    /// @dev The attacks of {tryForeignVoucher}.
    uint256 internal constant OTHER_CHANNEL = 0;
    uint256 internal constant OLDER_ID_OF_PAIR = 1;
    uint256 internal constant OTHER_CHAIN = 2;
    uint256 internal constant OTHER_DEPLOYMENT = 3;
    uint256 internal constant STOLEN = 4;
    uint256 internal constant ALTERED = 5;
    uint256 internal constant SELF_SIGNED = 6;
    uint256 internal constant ATTACKS = 7;

    /// @notice One channel as the handler saw it opened and used.
    struct GhostChannel {
        address payer;
        address payee;
        uint96 nonce;
        bytes32 id;
        /// @dev Escrowed in all: the opening deposit and top-ups.
        uint256 deposit;
        /// @dev The payee's total as the channel records it (at a cooperative close, the amount agreed).
        uint256 claimed;
        uint40 deadline;
        /// @dev 0 once the payer started closing, as the contract records it.
        uint24 challengePeriod;
        bool closed;
        /// @dev Tokens the payee received from the channel: claims and its part of a cooperative close.
        uint256 paid;
        /// @dev Tokens the payer got back when the channel closed.
        uint256 refunded;
        uint256 openedBlock;
    }

    /// @notice A voucher the payer signed for its channel.
    struct Voucher {
        uint256 amount;
        bytes32 usage;
        bytes32 r;
        bytes32 vs;
    }

    /// @notice A voucher as sent to {claim}, and whom the contract recovers from it: `signer` if the caller,
    /// nonce, amount, usage, chain and deployment are those signed, else address(0) for an unrelated address.
    struct Submission {
        uint96 nonce;
        uint256 amount;
        bytes32 usage;
        bytes32 r;
        bytes32 vs;
        address signer;
    }

    /// @notice A batch of claims and what the model expects of it: which channel each claim pays (0: none) and
    /// the channel's claimed amount after it.
    struct Batch {
        IPaymentChannels.Claim[] claims;
        uint256[] paying;
        uint256[] claimedNow;
        bool ok;
        uint256 expected;
        /// @dev Vouchers of the caller's closed channels in the batch.
        uint256 closedSkipped;
    }

    /// @notice The arguments of an open.
    struct Opening {
        address payer;
        address payee;
        uint32 salt;
        uint96 deposit;
        uint40 expiresAt;
        uint24 challengePeriod;
        /// @dev 0: approve the deposit, then open; 1: open with a permit; 2: with a permit someone else signed.
        uint256 funding;
    }

    Consortium public immutable consortium;
    SettlementToken public immutable token;
    FiatGateway public immutable gateway;
    PaymentChannels public immutable channels;
    /// @dev Another deployment on the same token, whose vouchers must not pay on `channels`.
    PaymentChannels public immutable otherChannels;
    address public immutable founder;
    address public immutable outsider;

    /*//////////////////////////////////////////////////////////////
                                 ACTORS
    //////////////////////////////////////////////////////////////*/

    /// @dev The channel parties, each the first account of its member: three consumers, two providers, one
    /// member that is both.
    address[] internal _actors;
    /// @dev Every account of those members: each party's and its member's spare account.
    address[] internal _accounts;
    mapping(address account => address spare) internal _spareOf;
    /// @dev Parties whose member removed their account from the Consortium.
    mapping(address account => bool) public retired;
    /// @dev Members that asked to leave and have not cancelled (none completes its exit in a run).
    mapping(uint64 memberId => bool) public leaving;
    address[] internal _payers;
    address[] internal _payees;
    address internal _masterMinter;
    mapping(address account => uint256 key) internal _keyOf;
    mapping(address account => uint64 memberId) public memberOf;
    /// @dev The roles of the account's member (see {expectedActiveRoles} for those the token reports).
    mapping(address account => uint8 roles) internal _rolesOf;
    /// @dev The framework agreement in force, and the version each member accepted last.
    uint32 public currentAgreement = 1;
    mapping(uint64 memberId => uint32 version) public acceptedAgreement;
    uint256 internal _agreementNonce;
    /// @dev Whether the token is paused, and when it was last unpaused (0: never).
    bool public paused;
    uint40 public unpausedAt;
    uint256 internal _keyCount;
    uint256 internal _mintCount;

    /*//////////////////////////////////////////////////////////////
                                 GHOSTS
    //////////////////////////////////////////////////////////////*/

    uint256 public ghost_channelCount;
    mapping(uint256 index => GhostChannel) internal _channels;
    mapping(bytes32 channelId => uint256 index) internal _indexOf;
    mapping(uint256 index => Voucher[]) internal _vouchers;
    /// @dev The highest `claimed` each channel was seen with after any action.
    mapping(uint256 index => uint256 claimed) internal _seenClaimed;

    /// @dev Open channels in the model: in all, those each account pays into, and those each account is a party
    /// of (as payer or payee).
    uint256 public ghost_openChannels;
    mapping(address account => uint256 count) public ghost_openPaying;
    mapping(address account => uint256 count) public ghost_openAsParty;

    uint24 public ghost_minChallengePeriod;
    uint256 public ghost_minted;
    /// @dev Escrowed by openings and top-ups, over the whole run.
    uint256 public ghost_deposited;
    /// @dev Tokens payees received from claims and cooperative closes.
    uint256 public ghost_paidToPayees;
    /// @dev Tokens payers got back at closes and settlements.
    uint256 public ghost_refunded;

    /// @dev Calls whose success or failure differed from the contract's rules.
    uint256 public ghost_unexpectedOutcomes;
    /// @dev Payments to a payee other than the voucher's (or agreement's) amount less what was claimed.
    uint256 public ghost_paymentMismatches;
    /// @dev Refunds other than the deposit less the payee's total, or settlements that paid the payee.
    uint256 public ghost_refundMismatches;
    /// @dev Settlements of a channel past its deadline that failed.
    uint256 public ghost_settlementsRefused;
    /// @dev Settlements that succeeded before the deadline.
    uint256 public ghost_earlySettlements;
    /// @dev Claims of a claimable voucher that failed while the channel was in its challenge period, and
    /// settlements by the payer that cut the period short.
    uint256 public ghost_challengeClaimsRefused;
    /// @dev Foreign vouchers (or batches holding one) that were accepted.
    uint256 public ghost_foreignVouchersPaid;
    /// @dev Cooperative closes with a close authorisation that was not the payee's for the channel, accepted.
    uint256 public ghost_foreignClosesAccepted;
    /// @dev Times a channel's claimed amount was seen lower than before.
    uint256 public ghost_claimedDecreases;
    /// @dev Digests the contract computes that differ from the EIP-712 digests built here.
    uint256 public ghost_digestMismatches;
    /// @dev Open channel ids or nonces the contract returned that differ from the documented derivation.
    uint256 public ghost_idMismatches;
    /// @dev Accounts the Consortium removed while the token held them for an open channel.
    uint256 public ghost_heldAccountsRemoved;
    /// @dev Accounts the Consortium removed while they were a party (payer or payee) of an open channel.
    uint256 public ghost_accountsInUseRemoved;
    /// @dev Removals refused otherwise than the rules give: a held account other than with
    /// SettlementTokenAccountHeld(account, holds); an account without holds that is payee of open channels other
    /// than with ConsortiumAccountInUse(account, channels, its open channels); or an account of no open channel
    /// refused at all.
    uint256 public ghost_removalMismatches;
    /// @dev Channels opened although its payer's or payee's member was leaving.
    uint256 public ghost_opensByLeavingMembers;
    /// @dev Channels opened although its payer's or payee's member had not accepted the agreement in force.
    uint256 public ghost_opensWithoutCurrentAgreement;
    /// @dev Opens refused only because a party may not start new business (leaving, or behind on the agreement)
    /// with another error than PaymentChannelsMissingRole(payee, Provider), the payee being checked first, or the
    /// token's SettlementTokenMissingRole(payer, Consumer), checked with the escrow.
    uint256 public ghost_roleRefusalMismatches;
    /// @dev Settlements that succeeded before the minimum challenge period had passed since the token was
    /// unpaused (the payee's time to claim what the pause held up).
    uint256 public ghost_settlementsInPauseGrace;
    /// @dev Removals whose tokens did not all reach the member's account that removed it.
    uint256 public ghost_sweepMismatches;

    /// @dev Foreign vouchers tried, per attack, for the campaign summary.
    mapping(uint256 attack => uint256 count) public foreignAttempts;
    /// @dev Vouchers of closed channels that batches which succeeded skipped, for the campaign summary.
    uint256 public closedVouchersSkipped;
    /// @dev Removals refused because the account was held, refused because it is paid by open channels (and held
    /// by none), removals that went through, and those of them that followed the account giving up channels that
    /// paid it, for the campaign summary.
    uint256 public heldRemovalsRefused;
    uint256 public inUseRemovalsRefused;
    uint256 public accountsRetired;
    uint256 public payeesRetiredAfterRelease;
    /// @dev Opens refused only because a party may not start new business, for the campaign summary.
    uint256 public roleOpensRefused;
    /// @dev Settlements refused for the pause grace, for the campaign summary.
    uint256 public pauseGraceRefusals;
    /// @dev Successful calls per action, for the campaign summary.
    mapping(bytes4 selector => uint256 count) public successes;

    /*//////////////////////////////////////////////////////////////
                                 SETUP
    //////////////////////////////////////////////////////////////*/

    constructor() {
        founder = _newAccount();
        _masterMinter = _newAccount();
        SettlementLayerDeployment.Deployed memory d = SettlementLayerDeployment.deploy(
            founder,
            _newAccount(),
            _masterMinter
        );
        consortium = d.consortium;
        token = d.token;
        gateway = d.gateway;
        channels = new PaymentChannels(IERC20(address(token)), IConsortium(address(consortium)), INITIAL_MIN_CHALLENGE);
        otherChannels = new PaymentChannels(IERC20(address(token)), IConsortium(address(0)), INITIAL_MIN_CHALLENGE);
        vm.prank(founder);
        consortium.registerContract(address(channels));
        ghost_minChallengePeriod = INITIAL_MIN_CHALLENGE;
        vm.warp(START);

        // Three consumers, two providers, one member that is both; an auditor; an outsider with a key.
        for (uint256 i = 0; i < 3; ++i) {
            _payers.push(_admit(Roles.bit(Role.Consumer)));
        }
        _payees.push(_admit(Roles.bit(Role.Provider)));
        _payees.push(_admit(Roles.bit(Role.Provider)));
        address both = _admit(Roles.bit(Role.Consumer) | Roles.bit(Role.Provider));
        _payers.push(both);
        _payees.push(both);
        address[] memory auditorAccounts = new address[](1);
        auditorAccounts[0] = _newAccount();
        SettlementLayerDeployment.admitMember(consortium, founder, auditorAccounts, Roles.bit(Role.Auditor));
        outsider = _newAccount();

        // Money: an attested reserve, a minter, and funds for every payer, minted through the gateway.
        vm.prank(auditorAccounts[0]);
        gateway.attestReserve(100 * PAYER_FUNDS, uint40(block.timestamp), keccak256("reserve report"));
        vm.prank(_masterMinter);
        gateway.configureMinter(_masterMinter, 100 * PAYER_FUNDS);
        for (uint256 i = 0; i < _payers.length; ++i) {
            _mint(_payers[i], PAYER_FUNDS);
        }

        // Three channels from the start, so that early actions have something to act on.
        _open(Opening(_payers[0], _payees[0], 0, 500e6, START + 7 days, 1 days, 0));
        _open(Opening(_payers[1], _payees[2], 0, 80e6, START + 2 days, 2 hours, 0));
        _open(Opening(_payers[3], _payees[1], 7, 1_000, START + 1 days, 3 hours, 0));
    }

    /*//////////////////////////////////////////////////////////////
                          ACTIONS: OPENING
    //////////////////////////////////////////////////////////////*/

    /// @notice A payer (now and then a provider, the payer itself as payee, or an outsider) opens a channel with
    /// a small salt, so that opens in one block collide: deposits from a base unit to thousands of euros (now
    /// and then 0), expiries from an hour to two weeks (now and then now), challenge periods from the minimum
    /// to three days (now and then below it); funded by approval, by permit, or by a permit of someone else.
    function open(uint256 payerSeed, uint256 payeeSeed, uint256 depositSeed, uint256 termsSeed) external {
        if (ghost_channelCount >= MAX_CHANNELS) return;
        Opening memory o;
        uint256 mode = _mode(payerSeed, 16);
        o.payer =
            mode == 0
                ? _payees[payerSeed % 2]
                : mode == 1
                    ? outsider
                    : _payers[payerSeed % _payers.length];
        mode = _mode(payeeSeed, 16);
        o.payee =
            mode == 0
                ? _payers[payeeSeed % _payers.length]
                : mode == 1
                    ? outsider
                    : _payees[payeeSeed % _payees.length];
        o.salt = _mode(termsSeed, 8) == 0 ? type(uint32).max : uint32(_mode(termsSeed >> 1, 3));
        o.deposit = _deposit(depositSeed);
        _terms(o, termsSeed);
        _open(o);
    }

    /// @notice A payer opens again to the same payee with the same salt as an earlier channel of theirs
    /// (mostly a closed one): refused in the block where that id is open or was closed, allowed in a later one.
    function reopen(uint256 channelSeed, uint256 depositSeed, uint256 termsSeed) external {
        if (ghost_channelCount >= MAX_CHANNELS) return;
        uint256 index = _mode(channelSeed, 4) == 0 ? _anyChannel(channelSeed) : _closedChannel(channelSeed);
        if (index == 0) return;
        GhostChannel storage g = _channels[index];
        Opening memory o;
        o.payer = g.payer;
        o.payee = g.payee;
        o.salt = uint32(g.nonce);
        o.deposit = _deposit(depositSeed);
        _terms(o, termsSeed);
        _open(o);
    }

    /// @notice The payer (now and then the payee) adds to a deposit: mostly a few euros, now and then nothing.
    function topUp(uint256 channelSeed, uint256 amountSeed, uint256 callerSeed) external {
        uint256 index = _openChannel(channelSeed);
        if (index == 0) return;
        GhostChannel storage g = _channels[index];
        address caller = _mode(callerSeed, 8) == 0 ? g.payee : g.payer;
        address payeeArg = caller == g.payer ? g.payee : g.payer;
        uint96 amount = _mode(amountSeed, 16) == 0 ? 0 : uint96(_bound(amountSeed, 1, 1_000e6));
        uint256 expected = _indexOf[_id(caller, payeeArg, g.nonce)];
        GhostChannel storage e = _channels[expected];
        bool ok =
            expected != 0 &&
                !e.closed &&
                e.challengePeriod != 0 &&
                block.timestamp < e.deadline &&
                amount != 0 &&
                token.balanceOf(caller) >= amount &&
                !paused;
        vm.prank(caller);
        token.approve(address(channels), amount);
        uint256 before = token.balanceOf(caller);
        vm.prank(caller);
        try channels.topUp(payeeArg, g.nonce, amount) {
            if (!ok) ++ghost_unexpectedOutcomes;
            if (before - token.balanceOf(caller) != amount) ++ghost_paymentMismatches;
            e.deposit += amount;
            ghost_deposited += amount;
            _succeeded();
        } catch {
            if (ok) ++ghost_unexpectedOutcomes;
        }
        _observe();
    }

    /*//////////////////////////////////////////////////////////////
                          ACTIONS: VOUCHERS
    //////////////////////////////////////////////////////////////*/

    /// @notice The payer of a channel signs its next voucher: a cumulative amount above the best it signed
    /// within the deposit, now and then above the deposit.
    function signVoucher(uint256 channelSeed, uint256 amountSeed) external {
        uint256 index = _openChannel(channelSeed);
        if (index == 0) return;
        _signNext(index, amountSeed);
        _succeeded();
    }

    /// @notice The payee claims its newest voucher (one time in four an older one, which may be stale).
    function claim(uint256 channelSeed, uint256 pickSeed) external {
        uint256 index = _openChannel(channelSeed);
        if (index == 0) return;
        if (_vouchers[index].length == 0) _signNext(index, pickSeed);
        Voucher[] storage list = _vouchers[index];
        if (list.length == 0) return;
        uint256 pick = _mode(pickSeed, 4) == 0 ? pickSeed % list.length : list.length - 1;
        GhostChannel storage g = _channels[index];
        if (_claim(g.payee, _submission(g, list[pick], g.payee), false)) _succeeded();
        _observe();
    }

    /// @notice A payee claims up to four vouchers at once, on its channels (open or closed, any of their
    /// vouchers, the same channel twice); those of closed channels and the stale ones are skipped, one above its
    /// deposit reverts the batch.
    function claimMany(uint256 payeeSeed, uint256 countSeed, uint256 seed) external {
        address payee = _payees[payeeSeed % _payees.length];
        uint256 count = _bound(countSeed, 1, MAX_BATCH);
        Submission[] memory subs = new Submission[](count);
        uint256 n;
        for (uint256 i = 0; i < count; ++i) {
            uint256 index = _channelOfPayee(payee, uint256(keccak256(abi.encode(seed, i))));
            if (index == 0) break;
            Voucher[] storage list = _vouchers[index];
            if (list.length == 0) {
                if (_channels[index].closed) continue;
                _signNext(index, seed >> i);
            }
            if (list.length == 0) continue;
            uint256 pick = _mode(seed >> (8 * i), 3) == 0 ? (seed >> (8 * i)) % list.length : list.length - 1;
            subs[n++] = _submission(_channels[index], list[pick], payee);
        }
        if (n == 0) return;
        Submission[] memory batch = new Submission[](n);
        for (uint256 i = 0; i < n; ++i) {
            batch[i] = subs[i];
        }
        if (_claimMany(payee, batch, false)) _succeeded();
        _observe();
    }

    /// @notice Inside the challenge period the payee answers with its newest voucher within the deposit
    /// (signed now if it has none above what it claimed), now and then after the payer tried to settle first.
    /// With no channel in its challenge period, the payer of an open one starts closing first.
    function claimWithinChallenge(uint256 channelSeed, uint256 amountSeed) external {
        uint256 index = _channelInChallenge(channelSeed);
        if (index == 0) {
            index = _openChannel(channelSeed);
            if (index == 0) return;
            GhostChannel storage c = _channels[index];
            if (c.challengePeriod == 0 || block.timestamp >= c.deadline) return;
            _requestClose(index, c.payer);
            if (c.challengePeriod != 0 || block.timestamp >= c.deadline) return;
        }
        GhostChannel storage g = _channels[index];
        if (g.claimed >= g.deposit) return;
        // Half the time the payer tries to settle first, as if it front-ran the payee's claim: it must fail.
        if (_mode(amountSeed, 2) == 0 && _settle(index, g.payer)) {
            ++ghost_challengeClaimsRefused;
            return;
        }
        Voucher[] storage list = _vouchers[index];
        uint256 pick = type(uint256).max;
        for (uint256 i = list.length; i > 0; --i) {
            if (list[i - 1].amount <= g.deposit) {
                pick = i - 1;
                break;
            }
        }
        if (pick == type(uint256).max || list[pick].amount <= g.claimed) {
            if (list.length >= MAX_VOUCHERS) return;
            _signVoucher(index, _bound(amountSeed, g.claimed + 1, g.deposit), _usage(amountSeed));
            pick = list.length - 1;
        }
        if (_claim(g.payee, _submission(g, list[pick], g.payee), false)) _succeeded();
        _observe();
    }

    /// @notice The handler plays the attacker: a voucher for another channel, one of an older id of the same
    /// pair, one for another chain or another deployment, one stolen by another payee, one altered after it
    /// was signed, or one the payee signed itself; sent alone (refused) or in a batch among genuine vouchers
    /// (skipped, as it finds no open channel: the batch pays the genuine ones). None may pay.
    function tryForeignVoucher(uint256 channelSeed, uint256 attackSeed, uint256 amountSeed) external {
        uint256 index = _openChannel(channelSeed);
        if (index == 0) return;
        uint256 attack = _mode(attackSeed, ATTACKS);
        (address caller, Submission memory s, bool built) = _foreign(index, attack, amountSeed);
        if (!built) return;
        ++foreignAttempts[attack];
        if (_mode(attackSeed >> 8, 4) == 0) {
            // Among genuine vouchers of the same payee: only those pay.
            Submission[] memory subs = new Submission[](2);
            uint256 other = _channelOfPayee(caller, amountSeed);
            uint256 at = attackSeed % 2;
            subs[at] = s;
            subs[1 - at] = s;
            if (other != 0 && !_channels[other].closed && _vouchers[other].length != 0) {
                Voucher[] storage list = _vouchers[other];
                subs[1 - at] = _submission(_channels[other], list[list.length - 1], caller);
            }
            _claimMany(caller, subs, true);
        } else {
            _claim(caller, s, true);
        }
        _succeeded();
        _observe();
    }

    /// @notice The payer attempts a cooperative close with a close authorisation that is not the payee's for this channel on
    /// this chain and deployment (another chain, another deployment, an older id of the pair, another channel,
    /// the payer's own): it must not close.
    function tryForeignClose(uint256 channelSeed, uint256 attackSeed, uint256 amountSeed) external {
        uint256 index = _openChannel(channelSeed);
        if (index == 0) return;
        GhostChannel storage g = _channels[index];
        uint256 amount = _bound(amountSeed, g.claimed, g.deposit);
        uint256 attack = _mode(attackSeed, 5);
        bytes32 digest;
        address signer = g.payee;
        if (attack == 0) {
            digest = _closeDigest(block.chainid + 1 + (attackSeed % 7), address(channels), g.id, amount);
        } else if (attack == 1) {
            digest = otherChannels.closeDigest(g.id, amount);
        } else if (attack == 2 || attack == 3) {
            uint256 other = attack == 2 ? _olderOfPair(index, attackSeed) : _otherChannel(index, attackSeed);
            if (other == 0) return;
            digest = _closeDigest(block.chainid, address(channels), _channels[other].id, amount);
            signer = _channels[other].payee;
        } else {
            signer = g.payer;
            digest = _closeDigest(block.chainid, address(channels), g.id, amount);
        }
        (bytes32 r, bytes32 vs) = _sign(signer, digest);
        uint256 payeeBefore = token.balanceOf(g.payee);
        if (_closeCooperatively(index, g.payer, amount, r, vs, false)) {
            ++ghost_foreignClosesAccepted;
            if (token.balanceOf(g.payee) != payeeBefore) ++ghost_foreignVouchersPaid;
        }
        _succeeded();
        _observe();
    }

    /*//////////////////////////////////////////////////////////////
                          ACTIONS: CLOSING
    //////////////////////////////////////////////////////////////*/

    /// @notice The payer closes with the payee's close authorisation: mostly for an amount between what was
    /// claimed and the deposit (often its newest voucher's), now and then below what was claimed or above the
    /// deposit, signed by the payer instead, or sent by the payee.
    function closeCooperatively(uint256 channelSeed, uint256 amountSeed, uint256 variantSeed) external {
        uint256 index = _openChannel(channelSeed);
        if (index == 0) return;
        GhostChannel storage g = _channels[index];
        uint256 amount;
        uint256 mode = _mode(amountSeed, 8);
        if (mode == 0 && g.claimed != 0)
            amount = _mode(amountSeed >> 8, 2) == 0 ? g.claimed - 1 : amountSeed % g.claimed;
        else if (mode == 1) amount = _mode(amountSeed >> 8, 4) == 0 ? type(uint256).max : g.deposit + 1;
        else if (mode == 2 && _vouchers[index].length != 0) amount = _newest(index).amount;
        else if (mode == 3) amount = _mode(amountSeed >> 8, 2) == 0 ? g.claimed : g.deposit;
        else amount = _bound(amountSeed, g.claimed, g.deposit);
        mode = _mode(variantSeed, 8);
        address signer = mode == 0 ? g.payer : g.payee;
        address caller = mode == 1 ? g.payee : g.payer;
        (bytes32 r, bytes32 vs) = _sign(signer, _closeDigest(block.chainid, address(channels), g.id, amount));
        bool ok = caller == g.payer && signer == g.payee && amount >= g.claimed && amount <= g.deposit;
        if (_closeCooperatively(index, caller, amount, r, vs, ok)) _succeeded();
        _observe();
    }

    /// @notice The payer (now and then the payee) starts closing a channel alone.
    function requestClose(uint256 channelSeed, uint256 callerSeed) external {
        uint256 index = _openChannel(channelSeed);
        if (index == 0) return;
        GhostChannel storage g = _channels[index];
        if (_requestClose(index, _mode(callerSeed, 8) == 0 ? g.payee : g.payer)) _succeeded();
        _observe();
    }

    /// @notice Anyone (payer, payee, an outsider) settles a channel: mostly one past its deadline, which must
    /// succeed and refund exactly the deposit less what was claimed; now and then any channel, early ones
    /// included, which must fail.
    function settle(uint256 channelSeed, uint256 callerSeed) external {
        uint256 index = _mode(channelSeed, 4) == 0 ? _anyChannel(channelSeed) : _dueChannel(channelSeed);
        if (index == 0) return;
        GhostChannel storage g = _channels[index];
        uint256 mode = _mode(callerSeed, 3);
        address caller =
            mode == 0
                ? g.payer
                : mode == 1
                    ? g.payee
                    : outsider;
        if (_settle(index, caller)) _succeeded();
        _observe();
    }

    /// @notice The payee (now and then the payer or an outsider) gives a channel up: it closes at what was
    /// claimed, and the payer gets the rest back at once, whether the channel is closing or past its deadline.
    function release(uint256 channelSeed, uint256 callerSeed) external {
        uint256 index = _openChannel(channelSeed);
        if (index == 0) return;
        GhostChannel storage g = _channels[index];
        uint256 mode = _mode(callerSeed, 8);
        address caller =
            mode == 0
                ? g.payer
                : mode == 1
                    ? outsider
                    : g.payee;
        if (_release(index, caller)) _succeeded();
        _observe();
    }

    /*//////////////////////////////////////////////////////////////
                        ACTIONS: TIME AND GOVERNANCE
    //////////////////////////////////////////////////////////////*/

    /// @notice Time passes: mostly up to an hour, now and then up to two days.
    function warp(uint256 secondsSeed) external {
        uint256 max = _mode(secondsSeed, 2) == 0 ? 1 hours : MAX_WARP;
        vm.warp(block.timestamp + _bound(secondsSeed, 1, max));
        _succeeded();
    }

    /// @notice Time passes to just before, at, or just after an open channel's deadline.
    function warpToDeadline(uint256 channelSeed, uint256 offsetSeed) external {
        uint256 index = _openChannel(channelSeed);
        if (index == 0) return;
        uint256 target = uint256(_channels[index].deadline) + _mode(offsetSeed, 3);
        if (target <= block.timestamp + 1) return;
        vm.warp(target - 1);
        _succeeded();
    }

    /// @notice One to three blocks are mined (without time passing: opens and closes of one block stay together).
    function roll(uint256 blocksSeed) external {
        vm.roll(block.number + _bound(blocksSeed, 1, 3));
        _succeeded();
    }

    /// @notice The operator (now and then a consumer) sets the shortest challenge period (now and then 0).
    function setMinChallengePeriod(uint256 callerSeed, uint256 periodSeed) external {
        address caller = _mode(callerSeed, 4) == 0 ? _payers[callerSeed % _payers.length] : founder;
        uint24 period = _mode(periodSeed, 8) == 0 ? 0 : uint24(_bound(periodSeed, 1, 2 days));
        bool ok = caller == founder && period != 0;
        vm.prank(caller);
        try channels.setMinChallengePeriod(period) {
            if (!ok) ++ghost_unexpectedOutcomes;
            ghost_minChallengePeriod = period;
            _succeeded();
        } catch {
            if (ok) ++ghost_unexpectedOutcomes;
        }
        if (channels.minChallengePeriod() != ghost_minChallengePeriod) ++ghost_unexpectedOutcomes;
    }

    /// @notice The operator (now and then a consumer, which may not) unpauses a paused token, or one time in four
    /// pauses it: while paused no claim, deposit or refund moves; once unpaused, no channel settles before the
    /// minimum challenge period has passed, so that the payee can still claim what the pause held up.
    function pauseOrUnpause(uint256 callerSeed, uint256 modeSeed) external {
        if (!paused && _mode(modeSeed, 4) != 0) return;
        address caller = _mode(callerSeed, 8) == 0 ? _payers[callerSeed % _payers.length] : founder;
        bool ok = caller == founder;
        vm.prank(caller);
        if (paused) {
            try token.unpause() {
                if (!ok) ++ghost_unexpectedOutcomes;
                paused = false;
                unpausedAt = uint40(block.timestamp);
                _succeeded();
            } catch {
                if (ok) ++ghost_unexpectedOutcomes;
            }
        } else {
            try token.pause() {
                if (!ok) ++ghost_unexpectedOutcomes;
                paused = true;
                _succeeded();
            } catch {
                if (ok) ++ghost_unexpectedOutcomes;
            }
        }
        if (token.paused() != paused || token.unpausedAt() != unpausedAt) ++ghost_unexpectedOutcomes;
    }

    /// @notice The operator publishes a new framework agreement (one time in four), or a party's member accepts the
    /// one in force (now and then twice, which must fail): until it does, it opens no channel and no new channel
    /// pays it, while its open channels claim and close as before.
    function publishOrAcceptAgreement(uint256 actorSeed, uint256 modeSeed) external {
        if (_mode(modeSeed, 4) == 0) {
            vm.prank(founder);
            try consortium.publishAgreement(keccak256(abi.encode("framework agreement", ++_agreementNonce))) returns (
                uint32 version
            ) {
                if (version != currentAgreement + 1) ++ghost_unexpectedOutcomes;
                currentAgreement = version;
                _succeeded();
            } catch {
                ++ghost_unexpectedOutcomes;
            }
            return;
        }
        address account = _actors[actorSeed % _actors.length];
        uint64 memberId = memberOf[account];
        address caller = retired[account] ? _spareOf[account] : account;
        bool ok = acceptedAgreement[memberId] != currentAgreement;
        (, bytes32 current) = consortium.currentAgreement();
        vm.prank(caller);
        try consortium.acceptAgreement(current) {
            if (!ok) ++ghost_unexpectedOutcomes;
            acceptedAgreement[memberId] = currentAgreement;
            _succeeded();
        } catch {
            if (ok) ++ghost_unexpectedOutcomes;
        }
    }

    /// @notice A member retires a party's account, as when it rotates keys: its spare account removes it from the
    /// Consortium, and the removal sweeps the account's tokens to the spare. While the account pays into open
    /// channels the token refuses (SettlementTokenAccountHeld, one hold per channel); while open channels pay it
    /// (and none holds it) the Consortium refuses (ConsortiumAccountInUse, naming the channels contract and the
    /// account's open channels, which would stop counting as its member's obligations); while the token is
    /// paused an account holding tokens waits (EnforcedPause). One time in three the account's channels are first
    /// given up (released by their payees, the account itself for those that pay it), and the removal goes
    /// through.
    function retireAccount(uint256 actorSeed, uint256 windDownSeed) external {
        if (_mode(actorSeed, 2) == 0) return;
        address account = _actors[actorSeed % _actors.length];
        if (retired[account]) return;
        bool releasedAsPayee;
        if (_mode(windDownSeed, 3) == 0) {
            for (uint256 i = 1; i <= ghost_channelCount; ++i) {
                GhostChannel storage c = _channels[i];
                if (c.closed || (c.payer != account && c.payee != account)) continue;
                if (_release(i, c.payee) && c.payee == account) releasedAsPayee = true;
            }
        }
        uint256 holds = ghost_openPaying[account];
        uint256 openChannels = ghost_openAsParty[account];
        address spare = _spareOf[account];
        uint256 balance = token.balanceOf(account);
        uint256 spareBefore = token.balanceOf(spare);
        bool waits = paused && balance != 0;
        vm.prank(spare);
        try consortium.removeAccount(account) {
            if (holds != 0) ++ghost_heldAccountsRemoved;
            if (openChannels != 0) ++ghost_accountsInUseRemoved;
            if (waits) ++ghost_unexpectedOutcomes;
            if (token.balanceOf(account) != 0 || token.balanceOf(spare) != spareBefore + balance) {
                ++ghost_sweepMismatches;
            }
            retired[account] = true;
            ++accountsRetired;
            if (releasedAsPayee) ++payeesRetiredAfterRelease;
            _succeeded();
        } catch (bytes memory reason) {
            // The sweep comes first (it waits for an unpause), then the token clears the account's standing
            // (refused while held), then the channels' count.
            bytes memory expected =
                waits
                    ? abi.encodeWithSignature("EnforcedPause()")
                    : holds != 0
                        ? abi.encodeWithSelector(ISettlementToken.SettlementTokenAccountHeld.selector, account, holds)
                        : abi.encodeWithSelector(
                            IConsortium.ConsortiumAccountInUse.selector,
                            account,
                            address(channels),
                            openChannels
                        );
            if ((openChannels == 0 && !waits) || keccak256(reason) != keccak256(expected)) {
                ++ghost_removalMismatches;
            } else if (waits) {
                // Refused for the pause: the rules are those of an unpaused token once it resumes.
            } else if (holds != 0) {
                ++heldRemovalsRefused;
            } else {
                ++inUseRemovalsRefused;
            }
            if (token.balanceOf(account) != balance || token.balanceOf(spare) != spareBefore) {
                ++ghost_sweepMismatches;
            }
        }
    }

    /// @notice A party's member asks to leave (from the party's account, or its spare once the party's is
    /// retired), or withdraws its request; now and then it asks twice or withdraws a request it never made, which
    /// must fail. While it is leaving the token reports no roles for its accounts, so it opens no channel and is
    /// paid by none that is new, while its open channels claim and close as before.
    function requestOrCancelExit(uint256 actorSeed, uint256 modeSeed) external {
        address account = _actors[actorSeed % _actors.length];
        uint64 memberId = memberOf[account];
        address caller = retired[account] ? _spareOf[account] : account;
        bool wasLeaving = leaving[memberId];
        bool request = _mode(modeSeed, 8) == 0 ? wasLeaving : !wasLeaving;
        bool ok = request != wasLeaving;
        bool done = true;
        vm.prank(caller);
        if (request) {
            try consortium.requestExit() {} catch {
                done = false;
            }
        } else {
            try consortium.cancelExit() {} catch {
                done = false;
            }
        }
        if (done != ok) ++ghost_unexpectedOutcomes;
        if (!done) return;
        leaving[memberId] = request;
        _succeeded();
    }

    /*//////////////////////////////////////////////////////////////
                              READ-ONLY
    //////////////////////////////////////////////////////////////*/

    function ghostChannel(uint256 index) external view returns (GhostChannel memory) {
        return _channels[index];
    }

    /// @notice The roles the token must report for `account`: its member's, unless the account was removed, the
    /// member is leaving or has not accepted the agreement in force.
    function expectedActiveRoles(address account) public view returns (uint8) {
        uint64 memberId = memberOf[account];
        if (retired[account] || leaving[memberId] || acceptedAgreement[memberId] != currentAgreement) return 0;
        return _rolesOf[account];
    }

    /// @notice The standing the token must record for `account` (no member is suspended here).
    function expectedStanding(address account) external view returns (AccountStanding) {
        if (retired[account]) return AccountStanding.None;
        return leaving[memberOf[account]] ? AccountStanding.Leaving : AccountStanding.Member;
    }

    function actorCount() external view returns (uint256) {
        return _actors.length;
    }

    function actorAt(uint256 i) external view returns (address) {
        return _actors[i];
    }

    function accountCount() external view returns (uint256) {
        return _accounts.length;
    }

    function accountAt(uint256 i) external view returns (address) {
        return _accounts[i];
    }

    /*//////////////////////////////////////////////////////////////
                        PRIVATE: CALLS AND MODEL
    //////////////////////////////////////////////////////////////*/

    function _open(Opening memory o) private {
        uint96 nonce = (uint96(block.number) << 32) | o.salt;
        bytes32 id = _id(o.payer, o.payee, nonce);
        // Everything but the parties' roles; a leaving member's roles are those of its member all the same.
        bool valid =
            o.deposit != 0 &&
                o.expiresAt > block.timestamp &&
                o.challengePeriod >= ghost_minChallengePeriod &&
                o.payee != o.payer &&
                !retired[o.payer] &&
                !retired[o.payee] &&
                Roles.has(_rolesOf[o.payer], Role.Consumer) &&
                Roles.has(_rolesOf[o.payee], Role.Provider) &&
                _indexOf[id] == 0 &&
                token.balanceOf(o.payer) >= o.deposit &&
                o.funding != 2 &&
                !paused;
        bool payeeOut = !_inBusiness(o.payee);
        bool ok = valid && !payeeOut && _inBusiness(o.payer);
        uint256 before = token.balanceOf(o.payer);
        (bool opened, bytes32 gotId, uint96 gotNonce, bytes memory reason) = o.funding == 0
            ? _sendOpen(o)
            : _sendOpenWithPermit(o);
        if (opened != ok) ++ghost_unexpectedOutcomes;
        if (opened) _countOpenedOutOfBusiness(o);
        if (!opened && valid && !ok) {
            // The channels check the payee's roles before the deposit moves, the token the payer's with it.
            bytes memory expected =
                payeeOut
                    ? abi.encodeWithSelector(
                        IPaymentChannels.PaymentChannelsMissingRole.selector,
                        o.payee,
                        Role.Provider
                    )
                    : abi.encodeWithSelector(
                        ISettlementToken.SettlementTokenMissingRole.selector,
                        o.payer,
                        Role.Consumer
                    );
            if (keccak256(reason) != keccak256(expected)) ++ghost_roleRefusalMismatches;
            ++roleOpensRefused;
        }
        if (!opened) return;
        if (gotId != id || gotNonce != nonce) ++ghost_idMismatches;
        if (before - token.balanceOf(o.payer) != o.deposit) ++ghost_paymentMismatches;
        uint256 index = ++ghost_channelCount;
        _indexOf[gotId] = index;
        GhostChannel storage g = _channels[index];
        g.payer = o.payer;
        g.payee = o.payee;
        g.nonce = gotNonce;
        g.id = gotId;
        g.deposit = o.deposit;
        g.deadline = o.expiresAt;
        g.challengePeriod = o.challengePeriod;
        g.openedBlock = block.number;
        ++ghost_openChannels;
        ++ghost_openPaying[o.payer];
        ++ghost_openAsParty[o.payer];
        ++ghost_openAsParty[o.payee];
        ghost_deposited += o.deposit;
        _succeeded();
        _observe();
    }

    /// @dev Whether `account`'s member may start new business: not leaving, and under the agreement in force.
    function _inBusiness(address account) private view returns (bool) {
        uint64 memberId = memberOf[account];
        return !leaving[memberId] && acceptedAgreement[memberId] == currentAgreement;
    }

    /// @dev Counts a channel opened although a party's member is leaving, or behind on the agreement.
    function _countOpenedOutOfBusiness(Opening memory o) private {
        if (leaving[memberOf[o.payee]] || leaving[memberOf[o.payer]]) ++ghost_opensByLeavingMembers;
        uint32 current = currentAgreement;
        if (acceptedAgreement[memberOf[o.payee]] != current || acceptedAgreement[memberOf[o.payer]] != current) {
            ++ghost_opensWithoutCurrentAgreement;
        }
    }

    function _sendOpen(Opening memory o) private returns (bool opened, bytes32 id, uint96 nonce, bytes memory reason) {
        vm.prank(o.payer);
        token.approve(address(channels), o.deposit);
        vm.prank(o.payer);
        try channels.open(o.payee, o.salt, o.deposit, o.expiresAt, o.challengePeriod) returns (bytes32 i, uint96 n) {
            (opened, id, nonce) = (true, i, n);
        } catch (bytes memory r) {
            reason = r;
        }
    }

    function _sendOpenWithPermit(
        Opening memory o
    ) private returns (bool opened, bytes32 id, uint96 nonce, bytes memory reason) {
        vm.prank(o.payer);
        token.approve(address(channels), 0);
        uint256 permitDeadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(o, permitDeadline);
        vm.prank(o.payer);
        try
            channels.openWithPermit(o.payee, o.salt, o.deposit, o.expiresAt, o.challengePeriod, permitDeadline, v, r, s)
        returns (bytes32 i, uint96 n) {
            (opened, id, nonce) = (true, i, n);
        } catch (bytes memory r_) {
            reason = r_;
        }
    }

    /// @dev Sends one claim; returns whether it succeeded. `foreign`: the voucher must never pay.
    function _claim(address caller, Submission memory s, bool foreign) private returns (bool succeeded) {
        uint256 index = _payingChannel(caller, s);
        GhostChannel storage g = _channels[index];
        // A claimable voucher pays while the token is not paused: the payee's account cannot have left while its
        // channel is open.
        bool ok = index != 0 && s.amount > g.claimed && s.amount <= g.deposit && !paused;
        bool inChallenge = index != 0 && g.challengePeriod == 0 && block.timestamp < g.deadline;
        uint256 before = token.balanceOf(caller);
        vm.prank(caller);
        try channels.claim(s.nonce, s.amount, s.usage, s.r, s.vs) {
            succeeded = true;
            uint256 received = token.balanceOf(caller) - before;
            if (foreign) ++ghost_foreignVouchersPaid;
            if (!ok) ++ghost_unexpectedOutcomes;
            ghost_paidToPayees += received;
            if (index == 0) return true;
            if (received != s.amount - g.claimed) ++ghost_paymentMismatches;
            g.claimed = s.amount;
            g.paid += received;
        } catch {
            if (ok) ++ghost_unexpectedOutcomes;
            if (ok && inChallenge) ++ghost_challengeClaimsRefused;
        }
    }

    /// @dev Sends a batch; returns whether it succeeded. `foreign`: the batch holds a voucher that must never pay.
    function _claimMany(address caller, Submission[] memory subs, bool foreign) private returns (bool succeeded) {
        Batch memory b = _expectBatch(caller, subs);
        // A batch that pays nothing moves no token, so it goes through while the token is paused.
        if (paused && b.expected != 0) b.ok = false;
        uint256 before = token.balanceOf(caller);
        vm.prank(caller);
        try channels.claimMany(b.claims) returns (uint256 paid) {
            succeeded = true;
            uint256 received = token.balanceOf(caller) - before;
            // The foreign voucher finds no open channel and is skipped: the batch pays its genuine vouchers only.
            if (foreign && received > b.expected) ++ghost_foreignVouchersPaid;
            if (!b.ok) ++ghost_unexpectedOutcomes;
            if (received != paid || paid != b.expected) ++ghost_paymentMismatches;
            ghost_paidToPayees += received;
            closedVouchersSkipped += b.closedSkipped;
            for (uint256 i = 0; i < subs.length; ++i) {
                if (b.paying[i] == 0) continue;
                GhostChannel storage g = _channels[b.paying[i]];
                g.paid += b.claimedNow[i] - g.claimed;
                g.claimed = b.claimedNow[i];
            }
        } catch {
            if (!b.ok) return false;
            ++ghost_unexpectedOutcomes;
            // (b.ok implies the token is not paused, or that the batch pays nothing.)
            for (uint256 i = 0; i < subs.length; ++i) {
                GhostChannel storage g = _channels[b.paying[i]];
                if (b.paying[i] != 0 && g.challengePeriod == 0 && block.timestamp < g.deadline) {
                    ++ghost_challengeClaimsRefused;
                }
            }
        }
    }

    /// @dev The model goes through a batch in order, as the contract does: a voucher without an open channel of
    /// its signer to the caller (closed, never opened, or signed by no payer of the caller: foreign) or not above
    /// its channel's claimed amount (as the batch left it) is skipped; one above its deposit reverts the batch
    /// (the handler's signatures are never malformed).
    function _expectBatch(address caller, Submission[] memory subs) private view returns (Batch memory b) {
        uint256 n = subs.length;
        b.claims = new IPaymentChannels.Claim[](n);
        b.paying = new uint256[](n);
        b.claimedNow = new uint256[](n);
        b.ok = true;
        for (uint256 i = 0; i < n; ++i) {
            Submission memory s = subs[i];
            b.claims[i] = IPaymentChannels.Claim(s.nonce, s.amount, s.usage, s.r, s.vs);
            uint256 index = _payingChannel(caller, s);
            if (index == 0) {
                if (s.signer != address(0) && _indexOf[_id(s.signer, caller, s.nonce)] != 0) ++b.closedSkipped;
                continue;
            }
            uint256 claimed = _channels[index].claimed;
            for (uint256 j = 0; j < i; ++j) {
                if (b.paying[j] == index) claimed = b.claimedNow[j];
            }
            if (s.amount <= claimed) continue;
            if (s.amount > _channels[index].deposit) {
                b.ok = false;
                continue;
            }
            b.paying[i] = index;
            b.claimedNow[i] = s.amount;
            b.expected += s.amount - claimed;
        }
    }

    function _settle(uint256 index, address caller) private returns (bool succeeded) {
        GhostChannel storage g = _channels[index];
        // Neither party's account can have left while the channel is open (the token holds the payer's, the
        // Consortium keeps the payee's): a due channel always settles, once the pause grace is over and while the
        // token is not paused (or there is nothing to refund).
        bool pastDeadline = !g.closed && block.timestamp >= g.deadline;
        bool inGrace = block.timestamp < uint256(unpausedAt) + ghost_minChallengePeriod;
        bool due = pastDeadline && !inGrace && (!paused || g.deposit == g.claimed);
        if (pastDeadline && inGrace) ++pauseGraceRefusals;
        uint256 payerBefore = token.balanceOf(g.payer);
        uint256 payeeBefore = token.balanceOf(g.payee);
        vm.prank(caller);
        try channels.settle(g.payer, g.payee, g.nonce) {
            succeeded = true;
            if (pastDeadline && inGrace) ++ghost_settlementsInPauseGrace;
            if (!due) {
                ++ghost_unexpectedOutcomes;
                if (!g.closed && !pastDeadline) ++ghost_earlySettlements;
            }
            uint256 refund = token.balanceOf(g.payer) - payerBefore;
            if (refund != g.deposit - g.claimed || token.balanceOf(g.payee) != payeeBefore) ++ghost_refundMismatches;
            _closed(g, refund);
        } catch {
            if (due) {
                ++ghost_unexpectedOutcomes;
                ++ghost_settlementsRefused;
            }
        }
    }

    function _closeCooperatively(
        uint256 index,
        address caller,
        uint256 amount,
        bytes32 r,
        bytes32 vs,
        bool ok
    ) private returns (bool succeeded) {
        GhostChannel storage g = _channels[index];
        // While paused only a close that moves nothing goes through: the whole deposit agreed and claimed.
        ok = ok && !g.closed && (!paused || (amount == g.deposit && g.claimed == g.deposit));
        uint256 payerBefore = token.balanceOf(g.payer);
        uint256 payeeBefore = token.balanceOf(g.payee);
        address payeeArg = caller == g.payer ? g.payee : g.payer;
        vm.prank(caller);
        try channels.closeCooperatively(payeeArg, g.nonce, amount, r, vs) {
            succeeded = true;
            if (!ok) ++ghost_unexpectedOutcomes;
            uint256 payeePart = token.balanceOf(g.payee) - payeeBefore;
            uint256 refund = token.balanceOf(g.payer) - payerBefore;
            if (ok && payeePart != amount - g.claimed) ++ghost_paymentMismatches;
            if (ok && refund != g.deposit - amount) ++ghost_refundMismatches;
            g.paid += payeePart;
            ghost_paidToPayees += payeePart;
            g.claimed += payeePart;
            _closed(g, refund);
        } catch {
            if (ok) ++ghost_unexpectedOutcomes;
        }
    }

    function _requestClose(uint256 index, address caller) private returns (bool succeeded) {
        GhostChannel storage g = _channels[index];
        address payeeArg = caller == g.payer ? g.payee : g.payer;
        bool ok = caller == g.payer && !g.closed && g.challengePeriod != 0;
        vm.prank(caller);
        try channels.requestClose(payeeArg, g.nonce) {
            succeeded = true;
            if (!ok) ++ghost_unexpectedOutcomes;
            uint256 end = block.timestamp + g.challengePeriod;
            if (end < g.deadline) g.deadline = uint40(end);
            g.challengePeriod = 0;
        } catch {
            if (ok) ++ghost_unexpectedOutcomes;
        }
    }

    /// @dev `caller` releases channel `index` (as its payee, it names the payer; anyone else names the payee).
    function _release(uint256 index, address caller) private returns (bool succeeded) {
        GhostChannel storage g = _channels[index];
        address payerArg = caller == g.payee ? g.payer : g.payee;
        uint256 expected = _indexOf[_id(payerArg, caller, g.nonce)];
        GhostChannel storage e = _channels[expected];
        // While paused only a release with nothing to refund goes through.
        bool ok = expected != 0 && !e.closed && (!paused || e.deposit == e.claimed);
        uint256 payerBefore = token.balanceOf(payerArg);
        uint256 callerBefore = token.balanceOf(caller);
        vm.prank(caller);
        try channels.release(payerArg, g.nonce) {
            succeeded = true;
            if (!ok) {
                ++ghost_unexpectedOutcomes;
                return true;
            }
            uint256 refund = token.balanceOf(payerArg) - payerBefore;
            if (refund != e.deposit - e.claimed || token.balanceOf(caller) != callerBefore) ++ghost_refundMismatches;
            _closed(e, refund);
        } catch {
            if (ok) ++ghost_unexpectedOutcomes;
        }
    }

    function _closed(GhostChannel storage g, uint256 refund) private {
        g.refunded += refund;
        ghost_refunded += refund;
        // Closing a closed channel was already counted as an unexpected outcome; the counts stay those of the
        // open channels (and do not underflow, which would revert the call and hide the outcome).
        if (g.closed) return;
        g.closed = true;
        --ghost_openChannels;
        --ghost_openPaying[g.payer];
        --ghost_openAsParty[g.payer];
        --ghost_openAsParty[g.payee];
    }

    /// @dev The open channel a submission would pay: the signer the contract recovers, the caller and the nonce.
    function _payingChannel(address caller, Submission memory s) private view returns (uint256 index) {
        if (s.signer == address(0)) return 0;
        index = _indexOf[_id(s.signer, caller, s.nonce)];
        if (_channels[index].closed) return 0;
    }

    /// @dev Observes what must never go backwards: each open channel's claimed amount.
    function _observe() private {
        for (uint256 i = 1; i <= ghost_channelCount; ++i) {
            if (_channels[i].closed) continue;
            uint256 claimed = channels.channel(_channels[i].id).claimed;
            if (claimed < _seenClaimed[i]) ++ghost_claimedDecreases;
            _seenClaimed[i] = claimed;
        }
    }

    /*//////////////////////////////////////////////////////////////
                          PRIVATE: SIGNING
    //////////////////////////////////////////////////////////////*/

    /// @dev Signs the channel's next voucher: above the best it signed within the deposit, often exactly the
    /// deposit; one time in four above the deposit (by one base unit, by more, or by everything).
    function _signNext(uint256 index, uint256 seed) private {
        if (_vouchers[index].length >= MAX_VOUCHERS) return;
        GhostChannel storage g = _channels[index];
        uint256 base = g.claimed;
        Voucher[] storage list = _vouchers[index];
        for (uint256 i = 0; i < list.length; ++i) {
            if (list[i].amount <= g.deposit && list[i].amount > base) base = list[i].amount;
        }
        uint256 mode = _mode(seed, 8);
        uint256 amount;
        if (mode < 2 || base >= g.deposit) {
            uint256 over = _mode(seed >> 1, 4);
            amount =
                over < 2
                    ? g.deposit + 1
                    : over == 2
                        ? g.deposit + _bound(seed >> 8, 2, 1e6)
                        : type(uint256).max;
        } else if (mode == 2) {
            amount = g.deposit;
        } else {
            uint256 room = g.deposit - base;
            amount = base + _bound(seed >> 8, 1, _mode(seed >> 1, 2) == 0 ? room : (room + 3) / 4);
        }
        _signVoucher(index, amount, _usage(seed));
    }

    function _signVoucher(uint256 index, uint256 amount, bytes32 usage) private {
        GhostChannel storage g = _channels[index];
        bytes32 digest = _voucherDigest(block.chainid, address(channels), g.payee, g.nonce, amount, usage);
        if (digest != channels.voucherDigest(g.payee, g.nonce, amount, usage)) ++ghost_digestMismatches;
        (bytes32 r, bytes32 vs) = _sign(g.payer, digest);
        _vouchers[index].push(Voucher(amount, usage, r, vs));
    }

    /// @dev A genuine voucher of channel `g` as `caller` sends it: only its payee makes the contract recover the
    /// payer from it.
    function _submission(
        GhostChannel storage g,
        Voucher storage v,
        address caller
    ) private view returns (Submission memory) {
        return Submission(g.nonce, v.amount, v.usage, v.r, v.vs, caller == g.payee ? g.payer : address(0));
    }

    /// @dev Builds the attack `attack` on channel `index`: whom to send it as, and what.
    function _foreign(
        uint256 index,
        uint256 attack,
        uint256 seed
    ) private returns (address caller, Submission memory s, bool built) {
        GhostChannel storage a = _channels[index];
        caller = a.payee;
        // An amount that would pay on the target channel if the voucher were accepted.
        uint256 amount = a.claimed < a.deposit ? _bound(seed, a.claimed + 1, a.deposit) : a.deposit;
        bytes32 usage = _usage(seed);
        s.nonce = a.nonce;
        s.amount = amount;
        s.usage = usage;
        bytes32 digest;
        address signer = a.payer;
        if (attack == OTHER_CHANNEL) {
            // Signed by the payer of another channel (the same payer's if it has one) for that channel.
            uint256 other = _otherChannel(index, seed);
            if (other == 0) return (caller, s, false);
            GhostChannel storage b = _channels[other];
            if (_mode(seed >> 8, 2) == 0) s.nonce = b.nonce;
            // Sent by the other channel's own payee with its own nonce, it would be genuine: not an attack.
            if (b.payee == caller && b.nonce == s.nonce) return (caller, s, false);
            signer = b.payer;
            digest = _voucherDigest(block.chainid, address(channels), b.payee, b.nonce, amount, usage);
        } else if (attack == OLDER_ID_OF_PAIR) {
            return _olderIdAttack(index, seed);
        } else if (attack == OTHER_CHAIN) {
            digest = _voucherDigest(block.chainid + 1 + (seed % 7), address(channels), a.payee, a.nonce, amount, usage);
        } else if (attack == OTHER_DEPLOYMENT) {
            digest = otherChannels.voucherDigest(a.payee, a.nonce, amount, usage);
            if (digest != _voucherDigest(block.chainid, address(otherChannels), a.payee, a.nonce, amount, usage)) {
                ++ghost_digestMismatches;
            }
        } else if (attack == STOLEN) {
            // The payee's genuine voucher, sent by another payee.
            caller = _payees[((seed % (_payees.length - 1)) + _payeeIndex(a.payee) + 1) % _payees.length];
            digest = _voucherDigest(block.chainid, address(channels), a.payee, a.nonce, amount, usage);
        } else if (attack == ALTERED) {
            // Signed for one amount or usage, sent with another.
            digest = _voucherDigest(block.chainid, address(channels), a.payee, a.nonce, amount, usage);
            if (_mode(seed >> 8, 2) == 0) s.usage = keccak256(abi.encode(usage));
            else s.amount = amount == a.deposit ? amount - 1 : amount + 1;
        } else {
            // SELF_SIGNED: the payee signs its own voucher; the contract recovers the payee, who has no channel to
            // itself.
            signer = a.payee;
            digest = _voucherDigest(block.chainid, address(channels), a.payee, a.nonce, amount, usage);
            s.signer = a.payee;
        }
        (s.r, s.vs) = _sign(signer, digest);
        return (caller, s, true);
    }

    /// @dev A voucher of a closed channel (preferably of the same pair as `index`), sent by its payee under its
    /// old nonce or the newer channel's. Under its own nonce the contract recovers the payer and finds the old
    /// channel closed; under the newer channel's nonce it recovers an unrelated address.
    function _olderIdAttack(
        uint256 index,
        uint256 seed
    ) private view returns (address caller, Submission memory s, bool built) {
        uint256 old = _olderOfPair(index, seed);
        if (old == 0) return (caller, s, false);
        GhostChannel storage c = _channels[old];
        GhostChannel storage a = _channels[index];
        caller = c.payee;
        Voucher[] storage list = _vouchers[old];
        if (list.length != 0 && _mode(seed >> 16, 2) == 0) {
            Voucher storage v = list[seed % list.length];
            (s.amount, s.usage, s.r, s.vs) = (v.amount, v.usage, v.r, v.vs);
        } else {
            // An amount that would pay on the newer channel if the voucher were accepted.
            s.amount = a.claimed < a.deposit ? _bound(seed, a.claimed + 1, a.deposit) : a.deposit;
            s.usage = _usage(seed);
            bytes32 digest = _voucherDigest(block.chainid, address(channels), c.payee, c.nonce, s.amount, s.usage);
            (s.r, s.vs) = _sign(c.payer, digest);
        }
        bool ownNonce = _mode(seed >> 8, 2) == 0 || c.payer != a.payer || c.payee != a.payee;
        s.nonce = ownNonce ? c.nonce : a.nonce;
        s.signer = ownNonce ? c.payer : address(0);
        return (caller, s, true);
    }

    function _sign(address signer, bytes32 digest) private view returns (bytes32 r, bytes32 vs) {
        (uint8 v, bytes32 r_, bytes32 s) = vm.sign(_keyOf[signer], digest);
        r = r_;
        vs = bytes32(uint256(s) | (uint256(v - 27) << 255));
    }

    function _permit(Opening memory o, uint256 deadline) private view returns (uint8 v, bytes32 r, bytes32 s) {
        bytes32 structHash = keccak256(
            abi.encode(PERMIT_TYPEHASH, o.payer, address(channels), o.deposit, token.nonces(o.payer), deadline)
        );
        bytes32 digest = keccak256(abi.encodePacked(hex"1901", token.DOMAIN_SEPARATOR(), structHash));
        // A permit of someone else: the payee's key.
        return vm.sign(_keyOf[o.funding == 2 ? o.payee : o.payer], digest);
    }

    function _voucherDigest(
        uint256 chainId,
        address verifyingContract,
        address payee,
        uint96 nonce,
        uint256 amount,
        bytes32 usage
    ) private pure returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(VOUCHER_TYPEHASH, payee, nonce, amount, usage));
        return keccak256(abi.encodePacked(hex"1901", _domainSeparator(chainId, verifyingContract), structHash));
    }

    function _closeDigest(
        uint256 chainId,
        address verifyingContract,
        bytes32 channelId,
        uint256 amount
    ) private returns (bytes32 digest) {
        bytes32 structHash = keccak256(abi.encode(CLOSE_TYPEHASH, channelId, amount));
        digest = keccak256(abi.encodePacked(hex"1901", _domainSeparator(chainId, verifyingContract), structHash));
        if (chainId == block.chainid && verifyingContract == address(channels)) {
            if (digest != channels.closeDigest(channelId, amount)) ++ghost_digestMismatches;
        }
    }

    function _domainSeparator(uint256 chainId, address verifyingContract) private pure returns (bytes32) {
        return
            keccak256(
                abi.encode(DOMAIN_TYPEHASH, keccak256("PaymentChannels"), keccak256("1"), chainId, verifyingContract)
            );
    }

    /*//////////////////////////////////////////////////////////////
                          PRIVATE: CHOICES
    //////////////////////////////////////////////////////////////*/

    function _deposit(uint256 seed) private pure returns (uint96) {
        uint256 mode = _mode(seed, 16);
        if (mode == 0) return 0;
        if (mode < 4) return uint96(_bound(seed, 1, 100));
        return uint96(_bound(seed, 1e6, 5_000e6));
    }

    /// @dev Expiry, challenge period and funding of an open; one time in sixteen each, an expiry of now or a
    /// challenge period below the minimum.
    function _terms(Opening memory o, uint256 seed) private view {
        o.expiresAt =
            _mode(seed >> 2, 16) == 0
                ? uint40(block.timestamp)
                : uint40(block.timestamp + _bound(seed >> 8, 1 hours, MAX_LIFETIME));
        uint24 minimum = ghost_minChallengePeriod;
        o.challengePeriod =
            _mode(seed >> 3, 16) == 0 ? minimum - 1 : uint24(_bound(seed >> 64, minimum, MAX_CHALLENGE));
        uint256 mode = _mode(seed >> 4, 8);
        o.funding =
            mode == 0
                ? 2
                : mode < 3
                    ? 1
                    : 0;
    }

    function _usage(uint256 seed) private pure returns (bytes32) {
        return _mode(seed >> 3, 4) == 0 ? bytes32(0) : keccak256(abi.encode("usage", seed));
    }

    /// @dev Mostly an open channel; now and then any channel (closed ones included).
    function _openChannel(uint256 seed) private view returns (uint256) {
        uint256 count = ghost_channelCount;
        if (count == 0) return 0;
        if (_mode(seed, 8) != 0) {
            for (uint256 i = 0; i < count; ++i) {
                uint256 index = ((seed + i) % count) + 1;
                if (!_channels[index].closed) return index;
            }
        }
        return (seed % count) + 1;
    }

    function _anyChannel(uint256 seed) private view returns (uint256) {
        uint256 count = ghost_channelCount;
        return count == 0 ? 0 : (seed % count) + 1;
    }

    /// @dev A closed channel if there is one.
    function _closedChannel(uint256 seed) private view returns (uint256) {
        uint256 count = ghost_channelCount;
        for (uint256 i = 0; i < count; ++i) {
            uint256 index = ((seed + i) % count) + 1;
            if (_channels[index].closed) return index;
        }
        return 0;
    }

    /// @dev An open channel past its deadline, else any open one.
    function _dueChannel(uint256 seed) private view returns (uint256) {
        uint256 count = ghost_channelCount;
        for (uint256 i = 0; i < count; ++i) {
            uint256 index = ((seed + i) % count) + 1;
            GhostChannel storage g = _channels[index];
            if (!g.closed && block.timestamp >= g.deadline) return index;
        }
        return _openChannel(seed);
    }

    /// @dev An open channel in its challenge period, if there is one.
    function _channelInChallenge(uint256 seed) private view returns (uint256) {
        uint256 count = ghost_channelCount;
        for (uint256 i = 0; i < count; ++i) {
            uint256 index = ((seed + i) % count) + 1;
            GhostChannel storage g = _channels[index];
            if (!g.closed && g.challengePeriod == 0 && block.timestamp < g.deadline) return index;
        }
        return 0;
    }

    /// @dev Mostly an open channel of `payee`; now and then any of its channels.
    function _channelOfPayee(address payee, uint256 seed) private view returns (uint256) {
        uint256 count = ghost_channelCount;
        bool anyone = _mode(seed, 4) == 0;
        for (uint256 i = 0; i < count; ++i) {
            uint256 index = ((seed + i) % count) + 1;
            GhostChannel storage g = _channels[index];
            if (g.payee == payee && (anyone || !g.closed)) return index;
        }
        return 0;
    }

    /// @dev Another channel than `index`: one of the same payer if there is one.
    function _otherChannel(uint256 index, uint256 seed) private view returns (uint256 found) {
        uint256 count = ghost_channelCount;
        address payer = _channels[index].payer;
        for (uint256 i = 0; i < count; ++i) {
            uint256 other = ((seed + i) % count) + 1;
            if (other == index) continue;
            if (_channels[other].payer == payer) return other;
            if (found == 0) found = other;
        }
    }

    /// @dev A closed channel of the same pair as `index` (an older id of the pair), else any closed channel.
    function _olderOfPair(uint256 index, uint256 seed) private view returns (uint256 found) {
        uint256 count = ghost_channelCount;
        GhostChannel storage a = _channels[index];
        for (uint256 i = 0; i < count; ++i) {
            uint256 other = ((seed + i) % count) + 1;
            GhostChannel storage c = _channels[other];
            if (!c.closed || other == index) continue;
            if (c.payer == a.payer && c.payee == a.payee) return other;
            if (found == 0) found = other;
        }
    }

    function _newest(uint256 index) private view returns (Voucher storage) {
        Voucher[] storage list = _vouchers[index];
        return list[list.length - 1];
    }

    function _payeeIndex(address payee) private view returns (uint256) {
        for (uint256 i = 0; i < _payees.length; ++i) {
            if (_payees[i] == payee) return i;
        }
        return 0;
    }

    /// @dev A choice among `n` cases that does not follow the seed's low bits, which fuzzers set to edge values.
    function _mode(uint256 seed, uint256 n) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, "mode"))) % n;
    }

    /// @dev keccak256(abi.encode(payer, payee, nonce)), as the interface documents the id.
    function _id(address payer, address payee, uint96 nonce) private pure returns (bytes32) {
        return keccak256(abi.encode(payer, payee, nonce));
    }

    /*//////////////////////////////////////////////////////////////
                          PRIVATE: ACTORS
    //////////////////////////////////////////////////////////////*/

    /// @dev Admits a member with two accounts: the party's and a spare.
    function _admit(uint8 roles) private returns (address account) {
        address[] memory accounts = new address[](2);
        accounts[0] = _newAccount();
        accounts[1] = _newAccount();
        uint64 memberId = SettlementLayerDeployment.admitMember(consortium, founder, accounts, roles);
        acceptedAgreement[memberId] = 1;
        account = accounts[0];
        memberOf[account] = memberId;
        memberOf[accounts[1]] = memberId;
        _rolesOf[account] = roles;
        _rolesOf[accounts[1]] = roles;
        _spareOf[account] = accounts[1];
        _actors.push(account);
        _accounts.push(account);
        _accounts.push(accounts[1]);
    }

    function _mint(address to, uint256 amount) private {
        vm.prank(_masterMinter);
        gateway.mint(to, amount, keccak256(abi.encode("deposit", ++_mintCount)));
        ghost_minted += amount;
    }

    function _newAccount() private returns (address account) {
        uint256 key = FIRST_KEY + ++_keyCount;
        account = vm.addr(key);
        _keyOf[account] = key;
    }

    function _succeeded() private {
        ++successes[msg.sig];
    }
}
