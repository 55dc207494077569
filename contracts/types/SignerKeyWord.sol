// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {KeyKind, SignerKey} from "./Listing.sol";

/// @notice A {SignerKey} packed into one word, as the meter keeps the key of a batch's current signer: bits 0-63
/// the machine id (the same bits as in an {OrderHead}, so that one masked xor compares the two), 64-103 valid
/// from, 104-143 valid until (0 while not revoked), 144-151 the kind (nothing above it).
type SignerKeyWord is uint256;

using SignerKeyWordLibrary for SignerKeyWord global;

// The layout, at file level so that the meter's report-path assembly reads the same bits.
uint256 constant SIGNER_KEY_MACHINE_ID_MASK = 0xffffffffffffffff;
uint256 constant SIGNER_KEY_VALID_FROM_OFFSET = 64;
uint256 constant SIGNER_KEY_VALID_UNTIL_OFFSET = 104;
uint256 constant SIGNER_KEY_TIME_MASK = 0xffffffffff;
/// @dev The top field: the word shifted by it is the kind, 0 for a device, 1 for an inspector.
uint256 constant SIGNER_KEY_KIND_OFFSET = 144;

/// @title SignerKeyWordLibrary
/// @notice Named fields of a {SignerKeyWord}.
library SignerKeyWordLibrary {
    function pack(SignerKey memory key) internal pure returns (SignerKeyWord) {
        return
            SignerKeyWord.wrap(
                uint256(key.machineId) |
                    (uint256(key.validFrom) << SIGNER_KEY_VALID_FROM_OFFSET) |
                    (uint256(key.validUntil) << SIGNER_KEY_VALID_UNTIL_OFFSET) |
                    (uint256(key.kind) << SIGNER_KEY_KIND_OFFSET)
            );
    }

    function machineId(SignerKeyWord key) internal pure returns (uint64) {
        return uint64(SignerKeyWord.unwrap(key));
    }

    function validFrom(SignerKeyWord key) internal pure returns (uint40) {
        return uint40(SignerKeyWord.unwrap(key) >> SIGNER_KEY_VALID_FROM_OFFSET);
    }

    function validUntil(SignerKeyWord key) internal pure returns (uint40) {
        return uint40(SignerKeyWord.unwrap(key) >> SIGNER_KEY_VALID_UNTIL_OFFSET);
    }

    function kind(SignerKeyWord key) internal pure returns (KeyKind) {
        return KeyKind(SignerKeyWord.unwrap(key) >> SIGNER_KEY_KIND_OFFSET);
    }
}
