// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {KeyKind, SignerKey} from "../../contracts/types/Listing.sol";
import {ORDER_HEAD_MACHINE_ID_MASK, OrderHead} from "../../contracts/types/OrderHead.sol";
import {
    SIGNER_KEY_KIND_OFFSET,
    SIGNER_KEY_MACHINE_ID_MASK,
    SIGNER_KEY_TIME_MASK,
    SIGNER_KEY_VALID_FROM_OFFSET,
    SIGNER_KEY_VALID_UNTIL_OFFSET,
    SignerKeyWord,
    SignerKeyWordLibrary
} from "../../contracts/types/SignerKeyWord.sol";

/// @notice Round trips of a packed signer key, and the one masked xor the meter compares a key's machine with an
/// order's by.
contract SignerKeyWordTest is Test {
    function _key(
        uint64 machineId,
        uint40 validFrom,
        uint40 validUntil,
        bool inspector
    ) internal pure returns (SignerKey memory) {
        return
            SignerKey({
                machineId: machineId,
                validFrom: validFrom,
                validUntil: validUntil,
                kind: inspector ? KeyKind.Inspector : KeyKind.Device
            });
    }

    function testFuzz_PackedKeyReadsBackAsTheLayoutStates(
        uint64 machineId,
        uint40 validFrom,
        uint40 validUntil,
        bool inspector
    ) public pure {
        SignerKeyWord word = SignerKeyWordLibrary.pack(_key(machineId, validFrom, validUntil, inspector));
        // Bits 0-63, 64-103, 104-143, 144-151, nothing above.
        uint256 raw = SignerKeyWord.unwrap(word);
        assertEq(
            raw,
            uint256(machineId) |
                (uint256(validFrom) << 64) |
                (uint256(validUntil) << 104) |
                ((inspector ? uint256(1) : 0) << 144)
        );
        assertEq(word.machineId(), machineId);
        assertEq(word.validFrom(), validFrom);
        assertEq(word.validUntil(), validUntil);
        assertEq(uint8(word.kind()), inspector ? 1 : 0);
        assertEq(raw & SIGNER_KEY_MACHINE_ID_MASK, machineId);
        assertEq((raw >> SIGNER_KEY_VALID_FROM_OFFSET) & SIGNER_KEY_TIME_MASK, validFrom);
        assertEq((raw >> SIGNER_KEY_VALID_UNTIL_OFFSET) & SIGNER_KEY_TIME_MASK, validUntil);
        assertEq(raw >> SIGNER_KEY_KIND_OFFSET, inspector ? 1 : 0);
    }

    function testFuzz_KeyAndHeadHoldTheMachineIdInTheSameBits(
        uint64 machineId,
        uint256 headRest,
        uint64 other
    ) public pure {
        assertEq(SIGNER_KEY_MACHINE_ID_MASK, ORDER_HEAD_MACHINE_ID_MASK);
        OrderHead head = OrderHead.wrap((headRest & ~ORDER_HEAD_MACHINE_ID_MASK) | machineId);
        SignerKeyWord key = SignerKeyWordLibrary.pack(_key(other, 1, 2, true));
        bool differ = (SignerKeyWord.unwrap(key) ^ OrderHead.unwrap(head)) & SIGNER_KEY_MACHINE_ID_MASK != 0;
        assertEq(differ, other != machineId);
        assertEq(head.machineId(), machineId);
    }
}
