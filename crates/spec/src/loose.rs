//! Reading a message's JSON for the few fields sma uses, in one pass.
//!
//! A message is mostly `properties` and `context` sma never looks at. Building a
//! `serde_json::Value` of all of it allocated a map entry and a string for every
//! field, on intake, on import and each time stored history is read back (in a
//! profile of `sma import`, most of the reading thread's time). Here unknown
//! fields are skipped by the parser, strings without escapes are borrowed from
//! the text, and each value is kept only as far as validation needs it
//! ([`Loose`]). Semantics stay those of a `Value` map: a repeated key keeps its
//! last value, a field of the wrong type is reported by the caller, an object
//! field that is not an object reads as empty.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One JSON value other than null, as far as validation looks at it. Fields
/// hold an `Option<Loose>`, and serde reads a null as its `None`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Loose<'a> {
    Str(Cow<'a, str>),
    Num(serde_json::Number),
    /// true, false, an array or an object: only ever the wrong type.
    Other,
}

/// A JSON object read into `T`'s fields; any other value reads as `T::default()`.
#[derive(Debug, Default)]
pub(crate) struct Obj<T> {
    pub is_object: bool,
    pub fields: T,
}

/// The fields of an object that are read; the others are skipped.
pub(crate) trait Fields<'de>: Default {
    /// Reads the value of `key` from `map` if it is one of ours, else skips it.
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error>;
}

/// Declares a [`Fields`] struct: each field's JSON key and type.
macro_rules! fields {
    ($(#[$doc:meta])* $name:ident { $($field:ident: $ty:ty = $key:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Default)]
        pub(crate) struct $name<'a> {
            $(pub $field: $ty,)*
        }

        impl<'de> Fields<'de> for $name<'de> {
            fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
                match key {
                    $($key => self.$field = map.next_value()?,)*
                    _ => {
                        map.next_value::<Skip>()?;
                    }
                }
                Ok(())
            }
        }
    };
}

fields!(
    /// A message's top level.
    Top {
        kind: Option<Loose<'a>> = "type",
        message_id: Option<Loose<'a>> = "messageId",
        anonymous_id: Option<Loose<'a>> = "anonymousId",
        user_id: Option<Loose<'a>> = "userId",
        previous_id: Option<Loose<'a>> = "previousId",
        timestamp: Option<Loose<'a>> = "timestamp",
        original_timestamp: Option<Loose<'a>> = "originalTimestamp",
        received_at: Option<Loose<'a>> = "receivedAt",
        sent_at: Option<Loose<'a>> = "sentAt",
        event: Option<Loose<'a>> = "event",
        name: Option<Loose<'a>> = "name",
        group_id: Option<Loose<'a>> = "groupId",
        properties: Obj<Properties<'a>> = "properties",
        context: Obj<Context<'a>> = "context",
        // Only a body's top level has one; a message never does.
        batch: Option<Loose<'a>> = "batch",
    }
);

fields!(
    /// `properties`.
    Properties {
        url: Option<Loose<'a>> = "url",
        referrer: Option<Loose<'a>> = "referrer",
        revenue: Option<Loose<'a>> = "revenue",
        value: Option<Loose<'a>> = "value",
        amount: Option<Loose<'a>> = "amount",
        group_id: Option<Loose<'a>> = "groupId",
    }
);

fields!(
    /// `context`.
    Context {
        page: Obj<Page<'a>> = "page",
        campaign: Obj<CampaignFields<'a>> = "campaign",
        user_agent: Option<Loose<'a>> = "userAgent",
        group_id: Option<Loose<'a>> = "groupId",
    }
);

fields!(
    /// `context.page`.
    Page {
        url: Option<Loose<'a>> = "url",
        referrer: Option<Loose<'a>> = "referrer",
    }
);

fields!(
    /// `context.campaign`.
    CampaignFields {
        source: Option<Loose<'a>> = "source",
        medium: Option<Loose<'a>> = "medium",
        name: Option<Loose<'a>> = "name",
        term: Option<Loose<'a>> = "term",
        content: Option<Loose<'a>> = "content",
        id: Option<Loose<'a>> = "id",
    }
);

/// The visitor methods of a value that reads as `$value` whatever it is, unless
/// it is an object (arrays are read past, counting their nesting).
macro_rules! read_past_all_but_maps {
    ($value:expr) => {
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            skip_seq(seq).map(|()| $value)
        }
    };
}

/// Reads a message's text: `None` when it is JSON but not an object.
pub(crate) fn read(raw: &str) -> Result<Option<Top<'_>>, serde_json::Error> {
    let top: Obj<Top> = serde_json::from_str(raw)?;
    Ok(top.is_object.then_some(top.fields))
}

impl<'de> Deserialize<'de> for Loose<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Owned(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Loose<'de>, E> {
        Ok(Loose::Num(v.into()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Loose<'de>, E> {
        Ok(Loose::Num(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Loose<'de>, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Loose::Other, Loose::Num))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Loose<'de>, E> {
        Ok(Loose::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Loose<'de>, A::Error> {
        skip_seq(seq)?;
        Ok(Loose::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Loose<'de>, A::Error> {
        skip_map(map)?;
        Ok(Loose::Other)
    }
}

impl<'de, T: Fields<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ObjVisitor(PhantomData))
    }
}

struct ObjVisitor<T>(PhantomData<T>);

impl<'de, T: Fields<'de>> Visitor<'de> for ObjVisitor<T> {
    type Value = Obj<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Obj<T>, A::Error> {
        let mut fields = T::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            fields.field(&key.0, &mut map)?;
        }
        Ok(Obj {
            is_object: true,
            fields,
        })
    }
    read_past_all_but_maps!(Obj::default());
}

/// An object key, borrowed from the text unless it holds escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// A value read past. Not `IgnoredAny`: serde_json skips that without counting
/// nesting, and its recursion limit is what bounds a message's depth.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    read_past_all_but_maps!(Skip);
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Skip, A::Error> {
        skip_map(map).map(|()| Skip)
    }
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<Skip>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    // Keys are strings: nothing nests in them.
    while map.next_entry::<IgnoredAny, Skip>()?.is_some() {}
    Ok(())
}

impl Loose<'_> {
    /// The text of a string value.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Loose::Str(s) => Some(s),
            _ => None,
        }
    }
}
