// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ChannelHash
/// @notice EIP-712 struct hashes of a payment channel's voucher and close authorisation.
/// @dev `src/core/typed-data.ts` defines the same types for signers and wallets; tests check both agree.
library ChannelHash {
    // The type strings are hashed at compile time; no string is stored or copied at run time.
    // solhint-disable gas-small-strings
    /// @notice A payment: the signer owes `payee` `amount` in all on its channel opened with `nonce`; `usage`
    /// names what it pays for. The signer, the payee and the nonce name the channel.
    bytes32 internal constant VOUCHER_TYPEHASH = keccak256(
        "Voucher(address payee,uint96 nonce,uint256 amount,bytes32 usage)"
    );
    /// @notice The payee agrees to close `channel` with `amount` paid in all.
    bytes32 internal constant CLOSE_TYPEHASH = keccak256("CloseAuthorization(bytes32 channel,uint256 amount)");
    // solhint-enable gas-small-strings

    /// @notice The struct hash of a voucher (to be combined with the channels contract's domain separator).
    function voucher(address payee, uint96 nonce, uint256 amount, bytes32 usage) internal pure returns (bytes32 h) {
        bytes32 typeHash = VOUCHER_TYPEHASH;
        // Hashed in scratch memory, as abi.encode(typeHash, payee, nonce, amount, usage) would be laid out.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            mstore(add(ptr, 0x20), and(payee, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x40), and(nonce, 0xffffffffffffffffffffffff))
            mstore(add(ptr, 0x60), amount)
            mstore(add(ptr, 0x80), usage)
            h := keccak256(ptr, 0xa0)
        }
    }

    /// @notice The struct hash of a close authorisation.
    function close(bytes32 channel, uint256 amount) internal pure returns (bytes32 h) {
        bytes32 typeHash = CLOSE_TYPEHASH;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            mstore(add(ptr, 0x20), channel)
            mstore(add(ptr, 0x40), amount)
            h := keccak256(ptr, 0x60)
        }
    }
}
