use crate::message::{Message, MessageType};

/// Ids that tracking libraries and buggy integrations send when they have no real id.
/// Linking on them would merge unrelated people into one user.
pub fn is_blocked_id(id: &str) -> bool {
    let id = id.trim();
    // Zero in any spelling (`0`, `0000-0000`, `0.0`, `-0.0`, `0e0`): a number
    // field that was never set.
    if id.is_empty()
        || id.chars().all(|c| c == '0' || c == '-')
        || id.parse::<f64>().is_ok_and(|v| v == 0.0)
    {
        return true;
    }
    [
        "null",
        "undefined",
        "anonymous",
        "-1",
        "nan",
        "none",
        "unknown",
        "false",
        "guest",
        // A JavaScript object put where a string was meant.
        "[object Object]",
    ]
    .iter()
    .any(|b| id.eq_ignore_ascii_case(b))
}

/// A link from a device (anonymousId) to a user, as asserted by one message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdentityLink {
    pub anonymous_id: String,
    pub user_id: String,
}

impl Message {
    /// The device-to-user link this message asserts, if any: identify, alias
    /// (previousId -> userId) and any other message carrying both ids. Blocked ids
    /// never link.
    pub fn identity_link(&self) -> Option<IdentityLink> {
        let user_id = self.user_id.as_deref()?;
        let anonymous_id = match self.message_type {
            MessageType::Alias => self.previous_id.as_deref().or(self.anonymous_id.as_deref()),
            MessageType::Delete => None,
            _ => self.anonymous_id.as_deref(),
        }?;
        if is_blocked_id(user_id) || is_blocked_id(anonymous_id) || anonymous_id == user_id {
            return None;
        }
        Some(IdentityLink {
            anonymous_id: anonymous_id.to_owned(),
            user_id: user_id.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_ids() {
        for id in [
            "",
            " ",
            "null",
            "NULL",
            "undefined",
            "anonymous",
            "0",
            "-1",
            "0000-0000",
            "---",
            "false",
            "Guest",
            "[object Object]",
            "0.0",
            "-0.0",
            " 0e0 ",
        ] {
            assert!(is_blocked_id(id), "{id:?} should be blocked");
        }
        for id in [
            "u1",
            "42",
            "0a",
            "anon-123",
            "00000000-0000-0000-0000-000000000001",
            "0.5",
            "guest-42",
        ] {
            assert!(!is_blocked_id(id), "{id:?} should be allowed");
        }
    }
}
