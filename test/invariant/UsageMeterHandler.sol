// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {Vm} from "forge-std/Vm.sol";

import {Consortium} from "../../contracts/access/Consortium.sol";
import {IMachineRegistry} from "../../contracts/interfaces/IMachineRegistry.sol";
import {IUsageMeter} from "../../contracts/interfaces/IUsageMeter.sol";
import {UsageReportHash} from "../../contracts/libraries/UsageReportHash.sol";
import {UsageMeter} from "../../contracts/metering/UsageMeter.sol";
import {LicenseRegistry} from "../../contracts/registry/LicenseRegistry.sol";
import {MachineRegistry} from "../../contracts/registry/MachineRegistry.sol";
import {FiatGateway} from "../../contracts/token/FiatGateway.sol";
import {SettlementToken} from "../../contracts/token/SettlementToken.sol";
import {KeyKind, MachineKind} from "../../contracts/types/Listing.sol";
import {UsageReport} from "../../contracts/types/Metering.sol";
import {Role, Roles} from "../../contracts/types/Membership.sol";
import {Tariff, UnitTier} from "../../contracts/types/Tariff.sol";
import {SettlementLayerDeployment} from "../helpers/SettlementLayerDeployment.sol";

/// @notice Drives a UsageMeter wired to the whole system (Consortium, token, gateway, licence and machine
/// registries) with bounded random actions: consumers open orders on three machines, devices and inspectors
/// report singly and in packed batches (valid, duplicated, stale, out of sequence, badly signed, out of
/// period, with counts their signer may not report), time passes, orders are closed, settled, disputed and
/// resolved, members withdraw, the operator changes the platform fee and collects it. Each report is
/// classified by the meter's rules before it is sent, and the ghost state is built from what actually
/// happened: outcomes, events and token movements. The invariants compare the meter with it.
contract UsageMeterHandler is CommonBase, StdUtils {
    /// @dev 2025-01-01, when the machines and their keys are registered.
    uint40 public constant START = 1_735_689_600;
    uint256 public constant MACHINE_COUNT = 3;
    uint256 public constant MAX_ORDERS = 12;
    uint256 internal constant MAX_BATCH = 8;
    uint256 internal constant MAX_PERIOD = 4 hours;
    uint256 internal constant MAX_WARP = 3 days;
    uint256 internal constant CONSUMER_FUNDS = 1_000_000e6;
    uint256 internal constant BPS = 10_000;
    uint96 internal constant ROYALTY_1 = 250_000;
    uint96 internal constant ROYALTY_2 = 100_000;
    bytes32 internal constant DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );
    uint256 internal constant FIRST_KEY = 0x5EED;
    /// @dev How long after an order's expiry its late reports still land before the consumer may close it.
    uint32 internal constant REPORT_GRACE = 1 hours;

    /// @dev A report as built, signed and classified by the handler; `valid` when it passes the meter's
    /// signature, signer, period and count checks (so that only its sequence decides its outcome).
    struct Draft {
        uint64 orderId;
        uint32 sequence;
        uint40 periodStart;
        uint40 periodEnd;
        uint64 machineSeconds;
        uint64 units;
        uint32 inspections;
        uint8 n;
        uint64[4] licensed;
        bytes32 readingsRoot;
        uint8 v;
        bytes32 r;
        bytes32 s;
        KeyKind kind;
        bool valid;
        bytes32 digest;
    }

    /// @dev The model of one order's report streams while a batch is being built.
    struct Sim {
        uint64 orderId;
        bool open;
        uint32[2] last;
        /// @dev Each stream's mark: where its next period may start.
        uint40[2] mark;
    }

    struct GhostOrder {
        address payer;
        uint64 consumer;
        uint64 provider;
        uint8 machine;
        uint40 expiresAt;
        uint16 feeBps;
        uint96 capPerPeriod;
        uint32 capPeriod;
        bool closed;
        uint256 escrow;
        /// @dev Charges recorded (ReportRecorded) plus the minimum charge top-up at closing; never reduced.
        uint256 gross;
        /// @dev Of `gross`, royalties: each report's royalties, up to its charge.
        uint256 royaltiesCharged;
        uint256 disputeRefunds;
        /// @dev Returned to the payer at closing.
        uint256 returned;
        /// @dev Credited by InvoiceSettled: provider net + platform fee + royalties.
        uint256 settled;
        /// @dev Of `settled`, provider net + platform fee.
        uint256 providerCredited;
        uint256 royaltiesSettled;
        /// @dev Amounts of the order's open disputes.
        uint256 frozen;
        uint256 openDisputes;
        /// @dev Distinct reports recorded per stream (device, inspector).
        uint32[2] recorded;
        /// @dev Each stream's mark: the end of its last recorded period, the opening time before its first.
        uint40[2] mark;
        uint40 openedAt;
        uint8 licenseCount;
        /// @dev Machine seconds the order's recorded reports counted.
        uint256 machineSeconds;
        bytes12 reportsHash;
        uint32 invoices;
    }

    struct GhostDispute {
        uint64 orderId;
        uint256 amount;
        bool open;
    }

    struct MachineSetup {
        uint64 id;
        uint64 provider;
        uint8 licenseCount;
        uint96 minimumCharge;
        uint256 deviceKey;
        uint256 inspectorKey;
    }

    Consortium public immutable consortium;
    SettlementToken public immutable token;
    FiatGateway public immutable gateway;
    LicenseRegistry public immutable licenses;
    MachineRegistry public immutable machines;
    UsageMeter public immutable meter;
    bytes32 public immutable domainSeparator;
    address public immutable founder;
    address public immutable auditor;
    address public immutable outsider;

    /*//////////////////////////////////////////////////////////////
                                 ACTORS
    //////////////////////////////////////////////////////////////*/

    address[] internal _consumers;
    address[] internal _providers;
    address internal _licensor;
    uint64 public licensorId;
    uint64 public memberCount;
    mapping(uint64 memberId => address account) public accountOf;
    mapping(address account => uint64 memberId) internal _memberOf;
    MachineSetup[MACHINE_COUNT] internal _machines;
    uint256 internal _strangerKey;
    uint256 internal _keyCount;

    /*//////////////////////////////////////////////////////////////
                                 GHOSTS
    //////////////////////////////////////////////////////////////*/

    uint64 public ghost_orderCount;
    mapping(uint64 orderId => GhostOrder) internal _orders;
    /// @dev The order's reports hash after its k-th recorded report (k = device + inspector reports so far).
    mapping(uint64 orderId => mapping(uint256 k => bytes12)) public ghost_chainAt;
    /// @dev The order's gross charges when invoice `number` was issued.
    mapping(uint64 orderId => mapping(uint32 number => uint256)) public ghost_grossAtInvoice;
    /// @dev Recorded reports, for re-sending them.
    mapping(uint64 orderId => mapping(KeyKind kind => mapping(uint32 sequence => Draft))) internal _recorded;
    mapping(bytes32 digest => bool) internal _digestRecorded;
    mapping(uint64 orderId => mapping(uint256 capIndex => uint256 spent)) internal _capSpent;
    mapping(uint64 orderId => uint32[2]) internal _seenSequences;

    uint64 public ghost_disputeCount;
    mapping(uint64 disputeId => GhostDispute) internal _disputes;

    uint16 public ghost_feeBps;
    mapping(uint64 memberId => uint256 amount) public ghost_creditedTo;
    mapping(uint64 memberId => uint256 amount) public ghost_withdrawn;
    uint256 public ghost_platformCredited;
    uint256 public ghost_feesWithdrawn;

    /// @dev Reports whose outcome (or a batch or call that reverted) differed from the meter's rules.
    uint256 public ghost_unexpectedOutcomes;
    /// @dev Recorded reports whose ReportRecorded digest was not the EIP-712 digest the handler signed.
    uint256 public ghost_digestMismatches;
    /// @dev Reports recorded a second time (same digest) or out of their stream's order.
    uint256 public ghost_doubleCounted;
    uint256 public ghost_outOfOrder;
    /// @dev Times an order's device or inspector sequence was seen lower than before.
    uint256 public ghost_sequenceDecreases;
    /// @dev Charges that took an order's gross charges above its escrow, or a capped order above its cap.
    uint256 public ghost_chargesBeyondEscrow;
    uint256 public ghost_capExceeded;
    /// @dev InvoiceSettled events whose fee is not the order's fee rate on what the provider was paid.
    uint256 public ghost_feeMismatches;
    /// @dev Closings that returned other than the escrow left after the minimum charge, or were allowed
    /// to someone who may not close.
    uint256 public ghost_closeMismatches;
    /// @dev Token movements that did not match what the call reported (refunds, withdrawals, fees).
    uint256 public ghost_misdirectedPayments;
    /// @dev Invoices numbered other than one past the last.
    uint256 public ghost_invoiceMisnumbered;
    /// @dev Recorded reports whose period started before the end of their stream's previous one (or the opening).
    uint256 public ghost_overlappingPeriods;
    /// @dev Whether the licensor retired its licences, asked to leave, and left; what it was paid after it asked.
    bool public ghost_licensorRetired;
    bool public ghost_licensorLeaving;
    bool public ghost_licensorExited;

    /// @dev Successful calls per action, for the campaign summary.
    mapping(bytes4 selector => uint256 count) public successes;

    /*//////////////////////////////////////////////////////////////
                                 SETUP
    //////////////////////////////////////////////////////////////*/

    constructor() {
        founder = _newAccount();
        address masterMinter = _newAccount();
        SettlementLayerDeployment.Deployed memory d = SettlementLayerDeployment.deploy(
            founder,
            _newAccount(),
            masterMinter
        );
        consortium = d.consortium;
        token = d.token;
        gateway = d.gateway;
        licenses = new LicenseRegistry(consortium);
        machines = new MachineRegistry(consortium, licenses);
        // The runner deploys MeterLedger and links it into this bytecode, as for any external library.
        meter = new UsageMeter(consortium, token, machines, REPORT_GRACE);
        vm.startPrank(founder);
        consortium.registerContract(address(licenses));
        consortium.registerContract(address(machines));
        consortium.registerContract(address(meter));
        vm.stopPrank();
        vm.warp(START);
        domainSeparator = keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("UsageMeter"), keccak256("1"), block.chainid, address(meter))
        );
        _enroll(founder, 1);
        // A day's notice, so that an exit can complete within a campaign.
        vm.prank(founder);
        consortium.setNoticePeriod(1 days);

        // Three consumers, two providers, a licensor with two licences, an auditor, an outsider.
        for (uint256 i = 0; i < 3; ++i) {
            _consumers.push(_admit(Roles.bit(Role.Consumer)));
        }
        _providers.push(_admit(Roles.bit(Role.Provider)));
        _providers.push(_admit(Roles.bit(Role.Provider)));
        _licensor = _admit(Roles.bit(Role.Licensor));
        licensorId = _memberOf[_licensor];
        auditor = _admit(Roles.bit(Role.Auditor));
        outsider = _newAccount();
        vm.startPrank(_licensor);
        licenses.registerLicense(ROYALTY_1, keccak256("licence terms 1"));
        licenses.registerLicense(ROYALTY_2, keccak256("licence terms 2"));
        vm.stopPrank();

        // Machine 0 carries both licences; 1 is billed by the hour only; 2, the other provider's, by the unit too.
        _listMachine(0, 0, _tariff(60e6, 500_000, 15e6, 25e6, 100e6, true, true));
        _listMachine(1, 0, _tariff(36e6, 0, 20e6, 0, 0, false, false));
        _listMachine(2, 1, _tariff(120e6, 2e6, 10e6, 10e6, 50e6, true, false));
        _strangerKey = FIRST_KEY + 1_000;

        // Money: an auditor-attested reserve, a minter, and funds for each consumer, approved to the meter.
        vm.prank(auditor);
        gateway.attestReserve(100 * CONSUMER_FUNDS, uint40(block.timestamp), keccak256("reserve report"));
        vm.prank(masterMinter);
        gateway.configureMinter(masterMinter, 100 * CONSUMER_FUNDS);
        for (uint256 i = 0; i < _consumers.length; ++i) {
            vm.prank(masterMinter);
            gateway.mint(_consumers[i], CONSUMER_FUNDS, keccak256(abi.encode("deposit", i)));
            vm.prank(_consumers[i]);
            token.approve(address(meter), type(uint256).max);
        }

        // Two orders from the start, so that early actions have something to act on.
        _open(_consumers[0], 0, 500e6, 7 days, 1 days, 0, 0);
        _open(_consumers[1], 2, 80e6, 2 days, 0, 40e6, 1 hours);
    }

    /*//////////////////////////////////////////////////////////////
                            ACTIONS: ORDERS
    //////////////////////////////////////////////////////////////*/

    /// @notice A consumer (now and then someone else) opens an order: budgets from a few base units to
    /// thousands of euros, expiries from an hour to two weeks, dispute windows of 0 to two days, caps or not.
    function openOrder(uint256 consumerSeed, uint256 machineSeed, uint256 budgetSeed, uint256 termsSeed) external {
        if (ghost_orderCount >= MAX_ORDERS) return;
        address caller = _mode(consumerSeed, 16) == 0 ? _providers[0] : _consumers[consumerSeed % _consumers.length];
        uint256 mode = _mode(budgetSeed, 8);
        uint256 budget =
            mode == 0
                ? _bound(budgetSeed, 1, 1_000)
                : mode == 1
                    ? _bound(budgetSeed, 1e6, 30e6)
                    : _bound(budgetSeed, 30e6, 5_000e6);
        uint256 window = _mode(termsSeed, 3) == 0 ? 0 : _bound(termsSeed >> 8, 1, 2 days);
        uint96 cap;
        uint32 capPeriod;
        if (_mode(termsSeed, 4) == 0) {
            cap = uint96(_bound(termsSeed >> 40, 1e6, 200e6));
            capPeriod = uint32(_bound(termsSeed >> 80, 10 minutes, 1 days));
        }
        _open(
            caller,
            machineSeed % MACHINE_COUNT,
            budget,
            _bound(termsSeed >> 120, 1 hours, 14 days),
            window,
            cap,
            capPeriod
        );
    }

    /// @notice The provider closes an order at any time, its consumer once it expired, now and then someone
    /// who may not; one call in three tries, so that orders mostly stay open for a while.
    function closeOrder(uint256 orderSeed, uint256 callerSeed) external {
        if (_mode(orderSeed, 3) != 0) return;
        uint64 orderId = _orderId(orderSeed);
        GhostOrder storage g = _orders[orderId];
        uint256 mode = _mode(callerSeed, 8);
        address caller =
            mode == 0
                ? outsider
                : mode <= 3
                    ? accountOf[g.consumer]
                    : accountOf[g.provider];
        if (caller == address(0)) caller = outsider;
        IUsageMeter.Meter memory before = meter.meterOf(orderId);
        uint256 payerBefore = token.balanceOf(g.payer);
        vm.prank(caller);
        try meter.closeOrder(orderId) {
            uint256 returned = token.balanceOf(g.payer) - payerBefore;
            uint256 topUp = before.available - returned;
            uint256 expected;
            // What the provider earned before dispute refunds: closing never claws a refund back.
            uint256 earned = g.gross - g.royaltiesCharged;
            uint256 minimum = _machines[g.machine].minimumCharge;
            if (before.used && earned < minimum) expected = _min(minimum - earned, before.available);
            bool allowed =
                _memberOf[caller] == g.provider ||
                    (_memberOf[caller] == g.consumer && block.timestamp >= uint256(g.expiresAt) + REPORT_GRACE);
            if (topUp != expected || g.closed || !allowed) ++ghost_closeMismatches;
            g.gross += topUp;
            g.returned = returned;
            g.closed = true;
            _succeeded();
        } catch {}
        _observe();
    }

    /// @notice Anyone settles one or two orders (now and then an unknown one, which reverts the call).
    function settle(uint256 orderSeed, uint256 otherSeed) external {
        uint64[] memory orderIds = _orderIds(orderSeed, otherSeed);
        vm.recordLogs();
        try meter.settle(orderIds) {
            _absorbSettlement(vm.getRecordedLogs());
            _succeeded();
        } catch {
            vm.getRecordedLogs();
        }
        _observe();
    }

    /// @notice An order's consumer (now and then another) disputes a report, mostly the last of its stream on an
    /// order with unsettled provider charges, freezing up to what it may (now and then more).
    function dispute(uint256 orderSeed, uint256 callerSeed, uint256 sequenceSeed, uint256 amountSeed) external {
        uint64 orderId = _orderId(orderSeed);
        for (uint64 i = 0; i < ghost_orderCount && _mode(orderSeed, 4) != 0; ++i) {
            uint64 candidate = uint64((orderSeed + i) % ghost_orderCount) + 1;
            if (_unfrozenProviderCharges(_orders[candidate]) != 0) {
                orderId = candidate;
                break;
            }
        }
        GhostOrder storage g = _orders[orderId];
        address caller = _mode(callerSeed, 8) == 0 ? _consumers[callerSeed % _consumers.length] : accountOf[g.consumer];
        if (caller == address(0)) caller = outsider;
        KeyKind kind = _mode(sequenceSeed, 3) == 0 ? KeyKind.Inspector : KeyKind.Device;
        uint32 last = g.recorded[uint8(kind)];
        uint32 sequence = _mode(sequenceSeed, 4) == 0 ? uint32(_bound(sequenceSeed >> 8, 0, uint256(last) + 1)) : last;
        uint256 free = _unfrozenProviderCharges(g);
        uint256 mode = _mode(amountSeed, 8);
        uint256 amount =
            mode == 0
                ? free + 1
                : mode == 1
                    ? free
                    : _bound(amountSeed >> 8, 1, free > 1 ? free : 1);
        vm.prank(caller);
        try meter.dispute(orderId, kind, sequence, amount, keccak256(abi.encode("complaint", amountSeed))) returns (
            uint64 disputeId
        ) {
            ++ghost_disputeCount;
            if (disputeId != ghost_disputeCount) ++ghost_unexpectedOutcomes;
            _disputes[disputeId] = GhostDispute({orderId: orderId, amount: amount, open: true});
            g.frozen += amount;
            ++g.openDisputes;
            _succeeded();
        } catch {}
        _observe();
    }

    /// @notice The auditor (now and then someone else) resolves a dispute, mostly an open one, refunding
    /// nothing, all, or something in between (now and then more than was frozen).
    function resolveDispute(uint256 disputeSeed, uint256 callerSeed, uint256 refundSeed) external {
        uint64 disputeId = _disputeId(disputeSeed);
        GhostDispute storage record = _disputes[disputeId];
        address caller = _mode(callerSeed, 8) == 0 ? _consumers[callerSeed % _consumers.length] : auditor;
        uint256 mode = _mode(refundSeed, 8);
        uint256 refund =
            mode == 0
                ? 0
                : mode == 1
                    ? record.amount
                    : mode == 2
                        ? record.amount + 1
                        : _bound(refundSeed >> 8, 0, record.amount);
        GhostOrder storage g = _orders[record.orderId];
        uint256 payerBefore = token.balanceOf(g.payer);
        vm.recordLogs();
        vm.prank(caller);
        try meter.resolveDispute(disputeId, refund, keccak256(abi.encode("ruling", refundSeed))) {
            _absorbSettlement(vm.getRecordedLogs());
            if (!record.open || refund > record.amount) ++ghost_unexpectedOutcomes;
            if (token.balanceOf(g.payer) - payerBefore != refund) ++ghost_misdirectedPayments;
            record.open = false;
            g.frozen -= record.amount;
            --g.openDisputes;
            g.disputeRefunds += refund;
            _succeeded();
        } catch {
            vm.getRecordedLogs();
        }
        _observe();
    }

    /*//////////////////////////////////////////////////////////////
                            ACTIONS: REPORTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A device or an inspector submits one report with {submitReport}: mostly the next one, now and
    /// then a duplicate, a gap, or one the meter must refuse.
    function submitReport(uint256 orderSeed, uint256 kindSeed, uint256 variantSeed, uint256 countsSeed) external {
        Sim memory sim = _sim(_orderId(orderSeed));
        Draft memory d = _draft(sim, _kind(kindSeed), _mode(variantSeed, 16), countsSeed);
        _sendOne(sim, d);
    }

    /// @notice Someone relays a report the meter recorded already, alone or packed: it must count once.
    function resubmitRecorded(uint256 orderSeed, uint256 pickSeed, bool packed) external {
        uint64 orderId = _orderId(orderSeed);
        Sim memory sim = _sim(orderId);
        KeyKind kind = _kind(pickSeed);
        uint32 count = _orders[orderId].recorded[uint8(kind)];
        if (count == 0) return;
        Draft memory d = _recorded[orderId][kind][uint32(_bound(pickSeed >> 8, 1, count))];
        if (!packed) return _sendOne(sim, d);
        Draft[] memory drafts = new Draft[](1);
        drafts[0] = d;
        IUsageMeter.ReportOutcome[] memory expected = new IUsageMeter.ReportOutcome[](1);
        expected[0] = _expect(sim, d);
        _sendBatch(drafts, expected, false);
    }

    /// @notice A relay submits a packed batch of one to eight reports of one or two orders, of both kinds and
    /// every variant, including reports that repeat an earlier one of the same batch; now and then the batch
    /// is cut short and must revert as a whole.
    function submitBatch(uint256 orderSeed, uint256 otherSeed, uint256 lengthSeed, uint256 seed) external {
        Sim[2] memory sims;
        sims[0] = _sim(_orderId(orderSeed));
        uint64 other = _orderId(otherSeed);
        // Both entries of the pair model the same streams when they name the same order.
        sims[1] = other == sims[0].orderId ? sims[0] : _sim(other);
        uint256 length = _bound(lengthSeed, 1, MAX_BATCH);
        Draft[] memory drafts = new Draft[](length);
        IUsageMeter.ReportOutcome[] memory expected = new IUsageMeter.ReportOutcome[](length);
        for (uint256 i = 0; i < length; ++i) {
            uint256 entrySeed = uint256(keccak256(abi.encode(seed, i)));
            Sim memory sim = sims[_mode(entrySeed, 3) == 0 ? 1 : 0];
            uint256 variant = _mode(entrySeed >> 1, 18);
            if (variant >= 16 && i != 0) {
                // Repeats an earlier entry of the batch, exactly.
                drafts[i] = drafts[_bound(entrySeed >> 8, 0, i - 1)];
                sim = drafts[i].orderId == sims[1].orderId ? sims[1] : sims[0];
            } else {
                drafts[i] = _draft(sim, _kind(entrySeed >> 16), variant % 16, entrySeed >> 24);
            }
            expected[i] = _expect(sim, drafts[i]);
            if (expected[i] == IUsageMeter.ReportOutcome.Recorded) _advance(sim, drafts[i]);
        }
        _sendBatch(drafts, expected, _mode(seed, 32) == 0);
    }

    /// @notice The licensor leaves, one step per call: it retires its licences (orders naming them keep running),
    /// asks to leave, then, once it may, hands its tokens to the founder and completes its exit (the notice period
    /// is a day here). One call in two acts.
    function licensorLeaves(uint256 seed) external {
        if (_mode(seed, 2) != 0 || ghost_licensorExited) return;
        vm.startPrank(_licensor);
        if (!ghost_licensorRetired) {
            licenses.retireLicense(1);
            licenses.retireLicense(2);
            ghost_licensorRetired = true;
        } else if (!ghost_licensorLeaving) {
            consortium.requestExit();
            ghost_licensorLeaving = true;
        } else {
            uint256 balance = token.balanceOf(_licensor);
            if (balance != 0) token.transfer(founder, balance);
            try consortium.completeExit(licensorId) {
                // The handler's own bookkeeping after a call to our token: no reentrancy to fear.
                // solhint-disable-next-line reentrancy
                ghost_licensorExited = true;
            } catch {}
        }
        vm.stopPrank();
        _succeeded();
    }

    /// @notice Time passes.
    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + _bound(secondsSeed, 1, MAX_WARP));
        _succeeded();
    }

    /*//////////////////////////////////////////////////////////////
                            ACTIONS: MONEY
    //////////////////////////////////////////////////////////////*/

    /// @notice A member withdraws what it was credited: mostly one that was credited something, now and then
    /// any member (provider, licensor, consumer, operator or auditor).
    function withdraw(uint256 memberSeed) external {
        uint64 member = uint64(_bound(memberSeed, 1, memberCount));
        for (uint64 i = 0; i < memberCount && _mode(memberSeed, 4) != 0; ++i) {
            uint64 candidate = uint64((memberSeed + i) % memberCount) + 1;
            if (meter.payableTo(candidate) != 0) {
                member = candidate;
                break;
            }
        }
        _withdrawAs(accountOf[member], false, new uint64[](0));
    }

    /// @notice A provider settles one or two orders and withdraws in one transaction.
    function settleAndWithdraw(uint256 providerSeed, uint256 orderSeed, uint256 otherSeed) external {
        _withdrawAs(_providers[providerSeed % _providers.length], true, _orderIds(orderSeed, otherSeed));
    }

    /// @notice The operator (now and then someone else) collects the platform fees.
    function withdrawPlatformFees(uint256 callerSeed) external {
        address caller = _mode(callerSeed, 8) == 0 ? _providers[callerSeed % _providers.length] : founder;
        uint256 before = token.balanceOf(caller);
        uint256 fees = meter.platformFees();
        vm.prank(caller);
        try meter.withdrawPlatformFees() returns (uint256 amount) {
            if (amount != fees || token.balanceOf(caller) - before != amount) ++ghost_misdirectedPayments;
            ghost_feesWithdrawn += amount;
            _succeeded();
        } catch {}
    }

    /// @notice The operator (now and then someone else) sets the platform fee, now and then above the maximum.
    function setPlatformFee(uint256 callerSeed, uint256 feeSeed) external {
        address caller = _mode(callerSeed, 8) == 0 ? _consumers[callerSeed % _consumers.length] : founder;
        uint256 fee = _mode(feeSeed, 16) == 0 ? _bound(feeSeed, 1_001, 20_000) : _bound(feeSeed, 0, 1_000);
        vm.prank(caller);
        try meter.setPlatformFee(uint16(fee)) {
            ghost_feeBps = uint16(fee);
            _succeeded();
        } catch {}
    }

    /*//////////////////////////////////////////////////////////////
                         READ-ONLY: FOR INVARIANTS
    //////////////////////////////////////////////////////////////*/

    function ghostOrder(uint64 orderId) external view returns (GhostOrder memory) {
        return _orders[orderId];
    }

    /// @notice The provider's part of the order's charges that is neither paid out nor frozen, in the model.
    function unfrozenProviderCharges(uint64 orderId) external view returns (uint256) {
        return _unfrozenProviderCharges(_orders[orderId]);
    }

    /*//////////////////////////////////////////////////////////////
                         PRIVATE: SENDING REPORTS
    //////////////////////////////////////////////////////////////*/

    function _sendOne(Sim memory sim, Draft memory d) private {
        IUsageMeter.ReportOutcome expected = _expect(sim, d);
        uint64[] memory licensed = new uint64[](d.n);
        for (uint256 i = 0; i < d.n; ++i) {
            licensed[i] = d.licensed[i];
        }
        UsageReport memory report = UsageReport({
            orderId: d.orderId,
            sequence: d.sequence,
            periodStart: d.periodStart,
            periodEnd: d.periodEnd,
            machineSeconds: d.machineSeconds,
            units: d.units,
            inspections: d.inspections,
            licensedProducts: licensed,
            readingsRoot: d.readingsRoot
        });
        vm.recordLogs();
        try meter.submitReport(report, abi.encodePacked(d.r, d.s, d.v)) returns (IUsageMeter.ReportOutcome outcome) {
            Vm.Log[] memory logs = vm.getRecordedLogs();
            if (outcome != expected || outcome == IUsageMeter.ReportOutcome.Rejected) ++ghost_unexpectedOutcomes;
            Draft[] memory drafts = new Draft[](1);
            drafts[0] = d;
            IUsageMeter.ReportOutcome[] memory outcomes = new IUsageMeter.ReportOutcome[](1);
            outcomes[0] = outcome;
            _absorbReports(drafts, outcomes, logs);
            _succeeded();
        } catch (bytes memory reason) {
            vm.getRecordedLogs();
            bool rejected = bytes4(reason) == IUsageMeter.UsageMeterReportRejected.selector;
            if (!rejected || expected != IUsageMeter.ReportOutcome.Rejected) ++ghost_unexpectedOutcomes;
        }
        _observe();
    }

    function _sendBatch(Draft[] memory drafts, IUsageMeter.ReportOutcome[] memory expected, bool truncate) private {
        bytes memory batch;
        for (uint256 i = 0; i < drafts.length; ++i) {
            batch = bytes.concat(batch, _packed(drafts[i]));
        }
        if (truncate) {
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                mstore(batch, sub(mload(batch), 1))
            }
        }
        vm.recordLogs();
        try meter.submitReports(batch) returns (IUsageMeter.ReportOutcome[] memory outcomes) {
            Vm.Log[] memory logs = vm.getRecordedLogs();
            if (truncate || outcomes.length != drafts.length) {
                ++ghost_unexpectedOutcomes;
                return;
            }
            for (uint256 i = 0; i < outcomes.length; ++i) {
                if (outcomes[i] != expected[i]) ++ghost_unexpectedOutcomes;
            }
            _absorbReports(drafts, outcomes, logs);
            _succeeded();
        } catch (bytes memory reason) {
            vm.getRecordedLogs();
            if (!truncate || bytes4(reason) != IUsageMeter.UsageMeterMalformedBatch.selector) {
                ++ghost_unexpectedOutcomes;
            }
        }
        _observe();
    }

    /// @dev Books the reports the meter recorded, in order, with the charges of their ReportRecorded events.
    function _absorbReports(
        Draft[] memory drafts,
        IUsageMeter.ReportOutcome[] memory outcomes,
        Vm.Log[] memory logs
    ) private {
        uint256 next;
        for (uint256 i = 0; i < drafts.length; ++i) {
            if (outcomes[i] != IUsageMeter.ReportOutcome.Recorded) continue;
            while (next < logs.length && !_isMeterEvent(logs[next], IUsageMeter.ReportRecorded.selector)) ++next;
            if (next == logs.length) {
                ++ghost_unexpectedOutcomes;
                return;
            }
            Vm.Log memory log = logs[next++];
            (bytes32 digest, uint256 charge) = abi.decode(log.data, (bytes32, uint256));
            if (uint64(uint256(log.topics[1])) != drafts[i].orderId || digest != drafts[i].digest) {
                ++ghost_digestMismatches;
            }
            _book(drafts[i], charge);
        }
        while (next < logs.length) {
            if (_isMeterEvent(logs[next++], IUsageMeter.ReportRecorded.selector)) ++ghost_unexpectedOutcomes;
        }
    }

    function _book(Draft memory d, uint256 charge) private {
        GhostOrder storage g = _orders[d.orderId];
        uint8 k = uint8(d.kind);
        if (_digestRecorded[d.digest]) ++ghost_doubleCounted;
        _digestRecorded[d.digest] = true;
        if (d.sequence != g.recorded[k] + 1) ++ghost_outOfOrder;
        if (d.periodStart < g.mark[k] || d.periodEnd < d.periodStart) ++ghost_overlappingPeriods;
        g.recorded[k] = d.sequence;
        g.mark[k] = d.periodEnd;
        g.machineSeconds += d.machineSeconds;
        _recorded[d.orderId][d.kind][d.sequence] = d;
        g.reportsHash = bytes12(keccak256(abi.encode(g.reportsHash, d.digest)));
        ghost_chainAt[d.orderId][uint256(g.recorded[0]) + g.recorded[1]] = g.reportsHash;

        if (g.gross + charge > g.escrow) ++ghost_chargesBeyondEscrow;
        g.gross += charge;
        g.royaltiesCharged += _min(_royalties(d), charge);
        if (g.capPerPeriod != 0) {
            uint256 spent = (_capSpent[d.orderId][d.periodEnd / g.capPeriod] += charge);
            if (spent > g.capPerPeriod) ++ghost_capExceeded;
        }
    }

    /// @dev Books InvoiceIssued and InvoiceSettled events.
    function _absorbSettlement(Vm.Log[] memory logs) private {
        for (uint256 i = 0; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            if (_isMeterEvent(log, IUsageMeter.InvoiceIssued.selector)) {
                uint64 orderId = uint64(uint256(log.topics[1]));
                uint32 number = uint32(uint256(log.topics[2]));
                GhostOrder storage g = _orders[orderId];
                if (number != g.invoices + 1) ++ghost_invoiceMisnumbered;
                g.invoices = number;
                ghost_grossAtInvoice[orderId][number] = g.gross;
            } else if (_isMeterEvent(log, IUsageMeter.InvoiceSettled.selector)) {
                GhostOrder storage g = _orders[uint64(uint256(log.topics[1]))];
                (uint256 net, uint256 fee, uint256 royalties, ) = abi.decode(
                    log.data,
                    (uint256, uint256, uint256, uint256)
                );
                if (fee != ((net + fee) * g.feeBps) / BPS) ++ghost_feeMismatches;
                g.settled += net + fee + royalties;
                g.providerCredited += net + fee;
                g.royaltiesSettled += royalties;
                ghost_creditedTo[g.provider] += net;
                ghost_creditedTo[licensorId] += royalties;
                ghost_platformCredited += fee;
            }
        }
    }

    /*//////////////////////////////////////////////////////////////
                        PRIVATE: BUILDING REPORTS
    //////////////////////////////////////////////////////////////*/

    function _sim(uint64 orderId) private view returns (Sim memory sim) {
        GhostOrder storage g = _orders[orderId];
        sim.orderId = orderId;
        sim.open = g.payer != address(0) && !g.closed;
        sim.last = g.recorded;
        sim.mark = g.mark;
    }

    /// @dev The meter's rules: closed orders and invalid reports are rejected, a number at or below the last
    /// recorded is a duplicate, the next number is recorded unless its period starts before its stream's mark
    /// (the opening, or where its previous period ended), any other number is a gap.
    function _expect(Sim memory sim, Draft memory d) private pure returns (IUsageMeter.ReportOutcome) {
        if (!sim.open || !d.valid) return IUsageMeter.ReportOutcome.Rejected;
        uint32 last = sim.last[uint8(d.kind)];
        if (d.sequence <= last) return IUsageMeter.ReportOutcome.Duplicate;
        if (d.sequence != last + 1) return IUsageMeter.ReportOutcome.Rejected;
        if (d.periodStart < sim.mark[uint8(d.kind)]) return IUsageMeter.ReportOutcome.Rejected;
        return IUsageMeter.ReportOutcome.Recorded;
    }

    function _advance(Sim memory sim, Draft memory d) private pure {
        sim.last[uint8(d.kind)] = d.sequence;
        sim.mark[uint8(d.kind)] = d.periodEnd;
    }

    /// @dev A signed report of `kind` for the order. Variants: 0-8 the next report, 9 a gap, 10 a key of
    /// another machine or no machine, 11 a broken signature, 12 a bad period, 13 counts the signer may not
    /// report, 14 licensed counts of the wrong length, 15 a new report under a number already recorded.
    function _draft(Sim memory sim, KeyKind kind, uint256 variant, uint256 seed) private view returns (Draft memory d) {
        GhostOrder storage g = _orders[sim.orderId];
        MachineSetup storage machine = _machines[g.machine];
        d.orderId = sim.orderId;
        d.kind = kind;
        d.sequence = sim.last[uint8(kind)] + 1;
        d.valid = true;
        d.readingsRoot = keccak256(abi.encode("readings", seed));

        // A period ending by now and by the expiry, after the keys were added: mostly from the stream's mark on
        // (where the meter takes it), one time in four anywhere since the start: before the order opened or
        // overlapping the stream's last period, which the meter refuses, or from a mark the other stream moved,
        // so that the streams and the spending cap are checked per period whatever order reports arrive in.
        uint256 hi = g.payer == address(0) ? block.timestamp : _min(block.timestamp, g.expiresAt);
        uint256 lo = _mode(seed >> 8, 4) != 0 && sim.mark[uint8(kind)] > START ? sim.mark[uint8(kind)] : START;
        if (lo > hi) lo = hi;
        d.periodEnd = uint40(_bound(seed, lo, hi));
        // From the mark: at it (back to back, as a device cuts periods) or after it; from the start: any length.
        uint256 length = _bound(seed >> 48, 0, _min(MAX_PERIOD, d.periodEnd - lo));
        if (lo != START && _mode(seed >> 200, 2) == 0) length = d.periodEnd - lo;
        if (lo == START) length = _bound(seed >> 48, 0, _min(MAX_PERIOD, d.periodEnd - START));
        d.periodStart = uint40(d.periodEnd - length);
        if (kind == KeyKind.Device) {
            d.machineSeconds = uint64(_bound(seed >> 72, 0, length));
            d.units = _mode(seed, 3) == 0 ? 0 : uint64(_bound(seed >> 96, 0, 120));
            if (machine.licenseCount != 0 && _mode(seed, 4) != 0) {
                d.n = machine.licenseCount;
                for (uint256 i = 0; i < d.n; ++i) {
                    d.licensed[i] = uint64(_bound(seed >> (112 + 16 * i), 0, 20));
                }
            }
        } else {
            d.inspections = uint32(_bound(seed >> 72, 0, 3));
            // A licensed order's inspector may send zero licensed counts of the right length.
            if (machine.licenseCount != 0 && _mode(seed, 4) == 0) d.n = machine.licenseCount;
        }

        uint256 key = kind == KeyKind.Device ? machine.deviceKey : machine.inspectorKey;
        if (variant == 9) {
            d.sequence += uint32(1 + ((seed >> 160) % 3));
        } else if (variant == 10) {
            MachineSetup storage other = _machines[(g.machine + 1) % MACHINE_COUNT];
            key =
                _mode(seed, 2) == 0
                    ? _strangerKey
                    : kind == KeyKind.Device
                        ? other.deviceKey
                        : other.inspectorKey;
            d.valid = false;
        } else if (variant == 12) {
            _breakPeriod(d, g.expiresAt, seed);
        } else if (variant == 13) {
            if (kind == KeyKind.Device) d.inspections = uint32(_bound(seed >> 168, 1, 3));
            else if (_mode(seed, 2) == 0) d.units = 1;
            else d.machineSeconds = uint64(_bound(seed >> 168, 1, length + 1));
            d.valid = false;
        } else if (variant == 14) {
            d.n =
                machine.licenseCount == 0
                    ? 1
                    : _mode(seed, 2) == 0
                        ? 1
                        : 3;
            d.valid = false;
        } else if (variant == 15 && d.sequence > 1) {
            d.sequence = uint32(_bound(seed >> 168, 1, d.sequence - 1));
        }
        _sign(d, key);
        if (variant == 11) {
            d.r = bytes32(0);
            d.valid = false;
        }
    }

    /// @dev A period the meter must refuse: in the future, ending before it starts, with more machine seconds
    /// than it lasts, or ending after the order expired.
    function _breakPeriod(Draft memory d, uint40 expiresAt, uint256 seed) private view {
        uint256 mode = _mode(seed, 4);
        if (mode == 3 && block.timestamp > expiresAt && expiresAt != 0) {
            d.periodEnd = uint40(_bound(seed >> 168, uint256(expiresAt) + 1, block.timestamp));
            d.periodStart = d.periodEnd;
        } else if (mode == 2 && d.kind == KeyKind.Device) {
            d.machineSeconds = uint64(d.periodEnd - d.periodStart) + 1;
        } else if (mode == 1) {
            d.periodStart = d.periodEnd + 1;
        } else {
            d.periodEnd = uint40(block.timestamp + _bound(seed >> 168, 1, 1 days));
        }
        d.valid = false;
    }

    function _sign(Draft memory d, uint256 key) private view {
        uint64[] memory licensed = new uint64[](d.n);
        for (uint256 i = 0; i < d.n; ++i) {
            licensed[i] = d.licensed[i];
        }
        bytes32 structHash = keccak256(
            abi.encode(
                UsageReportHash.USAGE_REPORT_TYPEHASH,
                d.orderId,
                d.sequence,
                d.periodStart,
                d.periodEnd,
                d.machineSeconds,
                d.units,
                d.inspections,
                keccak256(abi.encodePacked(licensed)),
                d.readingsRoot
            )
        );
        d.digest = keccak256(abi.encodePacked(hex"1901", domainSeparator, structHash));
        (d.v, d.r, d.s) = vm.sign(key, d.digest);
    }

    /// @dev The packed encoding of {IUsageMeter-submitReports}.
    function _packed(Draft memory d) private pure returns (bytes memory packed) {
        packed = abi.encodePacked(
            d.orderId,
            d.sequence,
            d.periodStart,
            d.periodEnd,
            d.machineSeconds,
            d.units,
            d.inspections,
            d.n
        );
        for (uint256 i = 0; i < d.n; ++i) {
            packed = abi.encodePacked(packed, d.licensed[i]);
        }
        packed = abi.encodePacked(packed, d.readingsRoot, d.r, d.s, d.v);
    }

    function _royalties(Draft memory d) private pure returns (uint256) {
        if (d.n == 0) return 0;
        return uint256(d.licensed[0]) * ROYALTY_1 + uint256(d.licensed[1]) * ROYALTY_2;
    }

    /*//////////////////////////////////////////////////////////////
                            PRIVATE: HELPERS
    //////////////////////////////////////////////////////////////*/

    function _open(
        address caller,
        uint256 machine,
        uint256 budget,
        uint256 lifetime,
        uint256 window,
        uint96 cap,
        uint32 capPeriod
    ) private {
        MachineSetup storage setup = _machines[machine];
        // The versions of the tariff's licences, as the registry quotes them (royalties never change here).
        uint32[] memory licenseVersions = new uint32[](setup.licenseCount);
        for (uint256 i = 0; i < licenseVersions.length; ++i) {
            licenseVersions[i] = 1;
        }
        IUsageMeter.OrderTerms memory terms = IUsageMeter.OrderTerms({
            machineId: setup.id,
            tariffVersion: 1,
            budget: uint128(budget),
            expiresAt: uint40(block.timestamp + lifetime),
            disputeWindow: uint32(window),
            capPerPeriod: cap,
            capPeriod: capPeriod,
            capability: keccak256("milling"),
            licenseVersions: licenseVersions
        });
        vm.prank(caller);
        try meter.openOrder(terms) returns (uint64 orderId) {
            ++ghost_orderCount;
            if (orderId != ghost_orderCount) ++ghost_unexpectedOutcomes;
            GhostOrder storage g = _orders[orderId];
            g.payer = caller;
            g.consumer = _memberOf[caller];
            g.provider = setup.provider;
            g.machine = uint8(machine);
            g.expiresAt = terms.expiresAt;
            g.openedAt = uint40(block.timestamp);
            g.mark = [uint40(block.timestamp), uint40(block.timestamp)];
            g.licenseCount = setup.licenseCount;
            g.feeBps = ghost_feeBps;
            g.capPerPeriod = cap;
            g.capPeriod = capPeriod;
            g.escrow = budget;
            _succeeded();
        } catch {}
    }

    function _withdrawAs(address caller, bool settleFirst, uint64[] memory orderIds) private {
        uint256 before = token.balanceOf(caller);
        vm.recordLogs();
        vm.prank(caller);
        if (settleFirst) {
            try meter.settleAndWithdraw(orderIds) returns (uint256 amount) {
                _absorbSettlement(vm.getRecordedLogs());
                _withdrew(caller, before, amount);
            } catch {
                vm.getRecordedLogs();
            }
        } else {
            try meter.withdraw() returns (uint256 amount) {
                vm.getRecordedLogs();
                _withdrew(caller, before, amount);
            } catch {
                vm.getRecordedLogs();
            }
        }
        _observe();
    }

    function _withdrew(address caller, uint256 balanceBefore, uint256 amount) private {
        if (token.balanceOf(caller) - balanceBefore != amount) ++ghost_misdirectedPayments;
        ghost_withdrawn[_memberOf[caller]] += amount;
        _succeeded();
    }

    /// @dev Observes what must never go backwards: each order's report sequences.
    function _observe() private {
        for (uint64 id = 1; id <= ghost_orderCount; ++id) {
            IUsageMeter.Meter memory m = meter.meterOf(id);
            uint32[2] storage seen = _seenSequences[id];
            if (m.deviceSequence < seen[0] || m.inspectorSequence < seen[1]) ++ghost_sequenceDecreases;
            seen[0] = m.deviceSequence;
            seen[1] = m.inspectorSequence;
        }
    }

    function _unfrozenProviderCharges(GhostOrder storage g) private view returns (uint256) {
        uint256 owed = g.settled + (g.royaltiesCharged - g.royaltiesSettled) + g.frozen;
        uint256 charged = g.gross - g.disputeRefunds;
        return charged > owed ? charged - owed : 0;
    }

    function _isMeterEvent(Vm.Log memory log, bytes32 selector) private view returns (bool) {
        return log.emitter == address(meter) && log.topics.length != 0 && log.topics[0] == selector;
    }

    /// @dev A choice among `n` cases that does not follow the seed's low bits, which fuzzers set to edge values.
    function _mode(uint256 seed, uint256 n) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, "mode"))) % n;
    }

    function _kind(uint256 seed) private pure returns (KeyKind) {
        return _mode(seed, 3) == 0 ? KeyKind.Inspector : KeyKind.Device;
    }

    /// @dev Mostly an open order; now and then any order, or the id one past the last.
    function _orderId(uint256 seed) private view returns (uint64) {
        uint64 count = ghost_orderCount;
        uint256 mode = _mode(seed, 16);
        if (mode == 0) return count + 1;
        if (mode > 3) {
            for (uint64 i = 0; i < count; ++i) {
                uint64 orderId = uint64((seed + i) % count) + 1;
                if (!_orders[orderId].closed) return orderId;
            }
        }
        return uint64(_bound(seed, 1, count));
    }

    function _orderIds(uint256 seed, uint256 otherSeed) private view returns (uint64[] memory orderIds) {
        orderIds = new uint64[](_mode(otherSeed, 3) == 0 ? 2 : 1);
        orderIds[0] = _orderId(seed);
        if (orderIds.length == 2) orderIds[1] = _orderId(otherSeed);
    }

    /// @dev Mostly an open dispute; now and then any id including unknown ones.
    function _disputeId(uint256 seed) private view returns (uint64) {
        uint64 count = ghost_disputeCount;
        if (count == 0 || _mode(seed, 8) == 0) return uint64(_bound(seed, 0, uint256(count) + 1));
        for (uint64 i = 0; i < count; ++i) {
            uint64 id = uint64((seed + i) % count) + 1;
            if (_disputes[id].open) return id;
        }
        return uint64(_bound(seed, 1, count));
    }

    function _tariff(
        uint96 perHour,
        uint96 perUnit,
        uint96 perInspection,
        uint96 setupFee,
        uint96 minimumCharge,
        bool tiers,
        bool licensed
    ) private pure returns (Tariff memory tariff) {
        tariff.pricePerHour = perHour;
        tariff.pricePerUnit = perUnit;
        tariff.pricePerInspection = perInspection;
        tariff.setupFee = setupFee;
        tariff.minimumCharge = minimumCharge;
        tariff.tiers = new UnitTier[](tiers ? 2 : 0);
        if (tiers) {
            tariff.tiers[0] = UnitTier({threshold: 100, pricePerUnit: perUnit / 2});
            tariff.tiers[1] = UnitTier({threshold: 250, pricePerUnit: perUnit / 4});
        }
        tariff.licenseIds = new uint32[](licensed ? 2 : 0);
        if (licensed) {
            tariff.licenseIds[0] = 1;
            tariff.licenseIds[1] = 2;
        }
    }

    function _listMachine(uint256 index, uint256 providerIndex, Tariff memory tariff) private {
        address provider = _providers[providerIndex];
        MachineSetup storage setup = _machines[index];
        setup.deviceKey = FIRST_KEY + 100 + 2 * index;
        setup.inspectorKey = FIRST_KEY + 101 + 2 * index;
        address[] memory keys = new address[](1);
        keys[0] = vm.addr(setup.deviceKey);
        bytes32[] memory capabilities = new bytes32[](1);
        capabilities[0] = keccak256("milling");
        IMachineRegistry.Profile memory profile = IMachineRegistry.Profile({
            kind: MachineKind.Machine,
            site: "DE-HH-01",
            capabilities: capabilities,
            metadataURI: "ipfs://machine",
            metadataHash: keccak256(abi.encode("machine", index))
        });
        vm.startPrank(provider);
        setup.id = machines.registerMachine(profile, keys, tariff);
        machines.addKey(setup.id, vm.addr(setup.inspectorKey), KeyKind.Inspector);
        vm.stopPrank();
        setup.provider = _memberOf[provider];
        setup.licenseCount = uint8(tariff.licenseIds.length);
        setup.minimumCharge = tariff.minimumCharge;
    }

    function _admit(uint8 roles) private returns (address account) {
        address[] memory accounts = new address[](1);
        accounts[0] = _newAccount();
        _enroll(accounts[0], SettlementLayerDeployment.admitMember(consortium, founder, accounts, roles));
        return accounts[0];
    }

    function _enroll(address account, uint64 memberId) private {
        accountOf[memberId] = account;
        _memberOf[account] = memberId;
        memberCount = memberId;
    }

    function _newAccount() private returns (address) {
        return vm.addr(FIRST_KEY + ++_keyCount);
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }

    function _succeeded() private {
        ++successes[msg.sig];
    }
}
