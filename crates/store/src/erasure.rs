//! Erasing a user (a Segment `delete`): what to erase, what was erased, and
//! the one-way digest kept of each erased message so that a late retry of it
//! is recognised without keeping its id.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// What one user's erasure covers. The application finds it (the user's
/// devices, the conversions credited over them) and settles the ledger to
/// zero before the store erases the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erasure {
    pub user: String,
    /// The devices that belong to the user: every message of theirs goes too.
    pub devices: Vec<String>,
    /// The conversions (messageIds) carried by the user or their devices,
    /// and the account conversions they sent: their ledger entries and
    /// credits go.
    pub conversions: Vec<String>,
    /// The accounts the user was a member of: the markers of `conversions`
    /// they carry go (the accounts stay, with the other members).
    pub accounts: Vec<String>,
}

/// How much one erasure removed, per kind of data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Erased {
    /// Raw messages (each leaves its [`erased_digest`] behind).
    pub events: u64,
    /// Identity claims on the user or on their devices.
    pub claims: u64,
    /// The user's account memberships.
    pub memberships: u64,
    /// Touches of their devices.
    pub touches: u64,
    /// Conversions and milestones they carried.
    pub markers: u64,
    /// Ledger entries: conversions' credits and journeys.
    pub ledger: u64,
}

impl std::ops::AddAssign for Erased {
    fn add_assign(&mut self, other: Erased) {
        self.events += other.events;
        self.claims += other.claims;
        self.memberships += other.memberships;
        self.touches += other.touches;
        self.markers += other.markers;
        self.ledger += other.ledger;
    }
}

/// What the store keeps of an erased message: the SHA-256 of its messageId,
/// in hex. Segment's ids are random UUIDs, so the digest cannot be turned
/// back into one, and a retry of the message has the same digest.
pub fn erased_digest(message_id: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for b in Sha256::digest(message_id.as_bytes()) {
        hex.push(HEX[usize::from(b >> 4)].into());
        hex.push(HEX[usize::from(b & 0xf)].into());
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::erased_digest;

    #[test]
    fn the_digest_is_sha256_of_the_id() {
        // echo -n m1 | sha256sum
        assert_eq!(
            erased_digest("m1"),
            "ca0df2c95aa144c1d0ff2ff3c8f967fdc1de9ef0c4120b3726416701b519d619"
        );
    }
}
