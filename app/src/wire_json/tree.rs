//! A parsed JSON value and a serde deserializer over it whose error carries no message.
//!
//! Why not `serde_wasm_bindgen::from_value`: its errors format serde's `Unexpected`, and
//! that `Display` brings float printing and `Debug` string escaping into the learner's
//! download (about 12 KB of wasm), for messages the browser throws away (a body that does
//! not read as the expected type is simply "unreadable"). Here every error is the same
//! [`Unreadable`], so none of that code is linked.

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, VariantAccess, Visitor,
    value::{MapDeserializer, SeqDeserializer, StringDeserializer},
};
use std::fmt;

/// A JSON value, as `JSON.parse` gives it (object members in their order).
#[derive(Debug, Clone, PartialEq)]
pub enum Tree {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Tree>),
    Obj(Vec<(String, Tree)>),
}

/// The one deserialization error: the value is not the type asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable;

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unreadable JSON")
    }
}

impl std::error::Error for Unreadable {}

// Every constructor is overridden so no message is ever built: serde's defaults format
// their arguments before `custom` could drop them.
impl de::Error for Unreadable {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unreadable
    }
    fn invalid_type(_: de::Unexpected<'_>, _: &dyn de::Expected) -> Self {
        Unreadable
    }
    fn invalid_value(_: de::Unexpected<'_>, _: &dyn de::Expected) -> Self {
        Unreadable
    }
    fn invalid_length(_: usize, _: &dyn de::Expected) -> Self {
        Unreadable
    }
    fn unknown_variant(_: &str, _: &'static [&'static str]) -> Self {
        Unreadable
    }
    fn unknown_field(_: &str, _: &'static [&'static str]) -> Self {
        Unreadable
    }
    fn missing_field(_: &'static str) -> Self {
        Unreadable
    }
    fn duplicate_field(_: &'static str) -> Self {
        Unreadable
    }
}

/// Integers JavaScript numbers hold exactly (2^53).
const EXACT: f64 = 9_007_199_254_740_992.0;

impl<'de> Deserializer<'de> for Tree {
    type Error = Unreadable;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        match self {
            Tree::Null => visitor.visit_unit(),
            Tree::Bool(b) => visitor.visit_bool(b),
            // Whole numbers as integers, as serde_json reads `42`: integer fields accept no f64.
            Tree::Num(n) if n.fract() == 0.0 && (0.0..=EXACT).contains(&n) => visitor.visit_u64(n as u64),
            Tree::Num(n) if n.fract() == 0.0 && (-EXACT..0.0).contains(&n) => visitor.visit_i64(n as i64),
            Tree::Num(n) => visitor.visit_f64(n),
            Tree::Str(s) => visitor.visit_string(s),
            Tree::Arr(items) => visitor.visit_seq(SeqDeserializer::new(items.into_iter())),
            Tree::Obj(members) => visitor.visit_map(MapDeserializer::new(members.into_iter())),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        match self {
            Tree::Null => visitor.visit_none(),
            some => visitor.visit_some(some),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        visitor.visit_newtype_struct(self)
    }

    /// `"Variant"` for a unit variant, `{"Variant": value}` for the others (serde_json's form).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        match self {
            Tree::Str(name) => visitor.visit_enum(StringDeserializer::new(name)),
            Tree::Obj(mut members) if members.len() == 1 => visitor.visit_enum(Variant(members.remove(0))),
            _ => Err(Unreadable),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, Unreadable> for Tree {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// An externally tagged variant: its name and its content.
struct Variant((String, Tree));

impl<'de> EnumAccess<'de> for Variant {
    type Error = Unreadable;
    type Variant = Tree;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Tree), Unreadable> {
        let (name, content) = self.0;
        Ok((seed.deserialize(StringDeserializer::<Unreadable>::new(name))?, content))
    }
}

impl<'de> VariantAccess<'de> for Tree {
    type Error = Unreadable;

    fn unit_variant(self) -> Result<(), Unreadable> {
        match self {
            Tree::Null => Ok(()),
            _ => Err(Unreadable),
        }
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Unreadable> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Unreadable> {
        self.deserialize_any(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        self.deserialize_any(visitor)
    }
}

/// The tree of a value `JSON.parse` returned (anything else reads as null).
#[cfg(target_arch = "wasm32")]
pub fn from_js(value: &wasm_bindgen::JsValue) -> Tree {
    use wasm_bindgen::JsCast;
    if let Some(b) = value.as_bool() {
        Tree::Bool(b)
    } else if let Some(n) = value.as_f64() {
        Tree::Num(n)
    } else if let Some(s) = value.as_string() {
        Tree::Str(s)
    } else if js_sys::Array::is_array(value) {
        Tree::Arr(value.unchecked_ref::<js_sys::Array>().iter().map(|v| from_js(&v)).collect())
    } else if value.is_object() {
        let entries = js_sys::Object::entries(value.unchecked_ref());
        let members = entries.iter().map(|pair| {
            let pair: js_sys::Array = pair.unchecked_into();
            (pair.get(0).as_string().unwrap_or_default(), from_js(&pair.get(1)))
        });
        Tree::Obj(members.collect())
    } else {
        Tree::Null
    }
}

#[cfg(test)]
mod tests;
