// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {
    CHANNEL_AMOUNT_MASK,
    CHANNEL_CHALLENGE_OFFSET,
    CHANNEL_CLAIMED_OFFSET,
    CHANNEL_DEADLINE_OFFSET,
    ChannelWord,
    ChannelWordLibrary
} from "../../contracts/types/ChannelWord.sol";

/// @notice Round trips of a payment channel's word: the layout the NatSpec states (bit positions written out here
/// as numbers), the constants and the accessors agree, and a setter moves only its field.
contract ChannelWordTest is Test {
    /// @dev Deposit 0-95, claimed 96-191, deadline 192-231, challenge period 232-255.
    function _word(
        uint96 deposit,
        uint96 claimed,
        uint40 deadline,
        uint24 challenge
    ) internal pure returns (ChannelWord) {
        return
            ChannelWord.wrap(
                uint256(deposit) | (uint256(claimed) << 96) | (uint256(deadline) << 192) | (uint256(challenge) << 232)
            );
    }

    function testFuzz_AccessorsReadTheFieldsTheLayoutStates(
        uint96 deposit,
        uint96 claimed,
        uint40 deadline,
        uint24 challenge
    ) public pure {
        ChannelWord word = _word(deposit, claimed, deadline, challenge);
        assertEq(word.deposit(), deposit);
        assertEq(word.claimed(), claimed);
        assertEq(word.deadline(), deadline);
        assertEq(word.challengePeriod(), challenge);
        uint256 raw = ChannelWord.unwrap(word);
        assertEq(raw & CHANNEL_AMOUNT_MASK, deposit);
        assertEq((raw >> CHANNEL_CLAIMED_OFFSET) & CHANNEL_AMOUNT_MASK, claimed);
        assertEq((raw >> CHANNEL_DEADLINE_OFFSET) & 0xffffffffff, deadline);
        assertEq(raw >> CHANNEL_CHALLENGE_OFFSET, challenge);
    }

    function testFuzz_CreateOpensWithNothingClaimed(uint96 deposit, uint40 expiresAt, uint24 challenge) public pure {
        assertEq(
            ChannelWord.unwrap(ChannelWordLibrary.create(deposit, expiresAt, challenge)),
            ChannelWord.unwrap(_word(deposit, 0, expiresAt, challenge))
        );
    }

    function testFuzz_SettersMoveOnlyTheirField(
        uint96 deposit,
        uint96 claimed,
        uint40 deadline,
        uint24 challenge,
        uint96 amount,
        uint40 closingAt
    ) public pure {
        ChannelWord word = _word(deposit, claimed, deadline, challenge);
        assertEq(
            ChannelWord.unwrap(word.withClaimed(amount)),
            ChannelWord.unwrap(_word(deposit, amount, deadline, challenge))
        );
        assertEq(
            ChannelWord.unwrap(word.closingAt(closingAt)),
            ChannelWord.unwrap(_word(deposit, claimed, closingAt, 0))
        );
        uint96 more = uint96(bound(amount, 0, type(uint96).max - deposit));
        assertEq(
            ChannelWord.unwrap(word.toppedUp(more)),
            ChannelWord.unwrap(_word(deposit + more, claimed, deadline, challenge))
        );
    }
}
