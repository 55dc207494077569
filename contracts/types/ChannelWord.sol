// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A payment channel, one storage word: bits 0-95 the deposit, 96-191 what was claimed, 192-231 the deadline
/// (the expiry while open, the end of the challenge once closing; 0 = no channel), 232-255 the challenge period (0
/// once closing).
type ChannelWord is uint256;

using ChannelWordLibrary for ChannelWord global;

uint256 constant CHANNEL_CLAIMED_OFFSET = 96;
uint256 constant CHANNEL_DEADLINE_OFFSET = 192;
uint256 constant CHANNEL_CHALLENGE_OFFSET = 232;
/// @dev The deposit's and the claimed amount's width.
uint256 constant CHANNEL_AMOUNT_MASK = 0xffffffffffffffffffffffff;

/// @title ChannelWordLibrary
/// @notice Named fields of a {ChannelWord}.
library ChannelWordLibrary {
    /// @notice An open channel with nothing claimed.
    function create(uint96 deposit_, uint40 expiresAt, uint24 challengePeriod_) internal pure returns (ChannelWord) {
        return
            ChannelWord.wrap(
                uint256(deposit_) |
                    (uint256(expiresAt) << CHANNEL_DEADLINE_OFFSET) |
                    (uint256(challengePeriod_) << CHANNEL_CHALLENGE_OFFSET)
            );
    }

    function deposit(ChannelWord word) internal pure returns (uint96) {
        return uint96(ChannelWord.unwrap(word));
    }

    function claimed(ChannelWord word) internal pure returns (uint96) {
        return uint96(ChannelWord.unwrap(word) >> CHANNEL_CLAIMED_OFFSET);
    }

    function deadline(ChannelWord word) internal pure returns (uint40) {
        return uint40(ChannelWord.unwrap(word) >> CHANNEL_DEADLINE_OFFSET);
    }

    function challengePeriod(ChannelWord word) internal pure returns (uint24) {
        return uint24(ChannelWord.unwrap(word) >> CHANNEL_CHALLENGE_OFFSET);
    }

    /// @notice `word` with `amount` (at most the deposit, not masked) claimed.
    function withClaimed(ChannelWord word, uint256 amount) internal pure returns (ChannelWord) {
        return
            ChannelWord.wrap(
                (ChannelWord.unwrap(word) & ~(CHANNEL_AMOUNT_MASK << CHANNEL_CLAIMED_OFFSET)) |
                    (amount << CHANNEL_CLAIMED_OFFSET)
            );
    }

    /// @notice `word` with `amount` more deposited; the caller checks that the new deposit fits 96 bits.
    function toppedUp(ChannelWord word, uint256 amount) internal pure returns (ChannelWord) {
        // Cannot overflow into the claimed bits: the new deposit fits 96 bits.
        unchecked {
            return ChannelWord.wrap(ChannelWord.unwrap(word) + amount);
        }
    }

    /// @notice `word` closing at `deadline_`: the challenge period cleared.
    function closingAt(ChannelWord word, uint40 deadline_) internal pure returns (ChannelWord) {
        return
            ChannelWord.wrap(
                (ChannelWord.unwrap(word) & ((1 << CHANNEL_DEADLINE_OFFSET) - 1)) |
                    (uint256(deadline_) << CHANNEL_DEADLINE_OFFSET)
            );
    }
}
