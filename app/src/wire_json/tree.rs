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

/// The most arrays and objects read one inside the other: what serde_json's recursion
/// limit of 128 lets through (the 128th nested container is refused). Deeper is refused,
/// by [`from_js`] and by the deserializer (which may be handed a tree built otherwise), so
/// no depth of input can exhaust the stack.
pub const MAX_DEPTH: usize = 127;

/// A tree inside `.1` containers: the deserializer proper (a [`Tree`] deserializes as the
/// document's root).
struct Nested(Tree, usize);

impl<'de> Deserializer<'de> for Nested {
    type Error = Unreadable;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        let Nested(tree, depth) = self;
        let inner = depth + 1;
        match tree {
            Tree::Null => visitor.visit_unit(),
            Tree::Bool(b) => visitor.visit_bool(b),
            // Whole numbers as integers, as serde_json reads `42`: integer fields accept no f64.
            Tree::Num(n) if n.fract() == 0.0 && (0.0..=EXACT).contains(&n) => visitor.visit_u64(n as u64),
            Tree::Num(n) if n.fract() == 0.0 && (-EXACT..0.0).contains(&n) => visitor.visit_i64(n as i64),
            // `1e400` parses to Infinity in the browser; serde_json refuses it.
            Tree::Num(n) if n.is_finite() => visitor.visit_f64(n),
            Tree::Num(_) => Err(Unreadable),
            Tree::Str(s) => visitor.visit_string(s),
            _ if inner > MAX_DEPTH => Err(Unreadable),
            // `end` refuses items or members the visitor left (a tuple of 2 given 3 items),
            // as serde_json does.
            Tree::Arr(items) => {
                let mut seq = SeqDeserializer::new(items.into_iter().map(|t| Nested(t, inner)));
                let value = visitor.visit_seq(&mut seq)?;
                seq.end().map(|()| value)
            }
            Tree::Obj(members) => {
                let mut map = MapDeserializer::new(members.into_iter().map(|(k, t)| (k, Nested(t, inner))));
                let value = visitor.visit_map(&mut map)?;
                map.end().map(|()| value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        match self.0 {
            Tree::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
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
            Nested(Tree::Str(name), _) => visitor.visit_enum(StringDeserializer::new(name)),
            Nested(Tree::Obj(mut members), depth) if members.len() == 1 && depth < MAX_DEPTH => {
                let (name, content) = members.remove(0);
                visitor.visit_enum(Variant(name, Nested(content, depth + 1)))
            }
            _ => Err(Unreadable),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, Unreadable> for Nested {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// The document's root value.
impl<'de> Deserializer<'de> for Tree {
    type Error = Unreadable;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        Nested(self, 0).deserialize_any(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        Nested(self, 0).deserialize_option(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        Nested(self, 0).deserialize_newtype_struct(name, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        Nested(self, 0).deserialize_enum(name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// An externally tagged variant: its name and its content.
struct Variant(String, Nested);

impl<'de> EnumAccess<'de> for Variant {
    type Error = Unreadable;
    type Variant = Nested;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Nested), Unreadable> {
        Ok((seed.deserialize(StringDeserializer::<Unreadable>::new(self.0))?, self.1))
    }
}

impl<'de> VariantAccess<'de> for Nested {
    type Error = Unreadable;

    fn unit_variant(self) -> Result<(), Unreadable> {
        match self.0 {
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

/// The tree of a value `JSON.parse` returned (anything else reads as null); refused when
/// nested deeper than [`MAX_DEPTH`] or holding a number JSON cannot carry (`1e400` parses
/// to Infinity), as serde_json refuses such text.
#[cfg(target_arch = "wasm32")]
pub fn from_js(value: &wasm_bindgen::JsValue) -> Result<Tree, Unreadable> {
    build(value, 0)
}

/// `value`, inside `depth` containers.
#[cfg(target_arch = "wasm32")]
fn build(value: &wasm_bindgen::JsValue, depth: usize) -> Result<Tree, Unreadable> {
    use wasm_bindgen::JsCast;
    let container = js_sys::Array::is_array(value) || (value.is_object() && value.as_string().is_none());
    if container && depth >= MAX_DEPTH {
        return Err(Unreadable);
    }
    Ok(if let Some(b) = value.as_bool() {
        Tree::Bool(b)
    } else if let Some(n) = value.as_f64() {
        if !n.is_finite() {
            return Err(Unreadable);
        }
        Tree::Num(n)
    } else if let Some(s) = value.as_string() {
        Tree::Str(s)
    } else if js_sys::Array::is_array(value) {
        let items = value.unchecked_ref::<js_sys::Array>().iter().map(|v| build(&v, depth + 1));
        Tree::Arr(items.collect::<Result<_, _>>()?)
    } else if value.is_object() {
        let entries = js_sys::Object::entries(value.unchecked_ref());
        let members = entries.iter().map(|pair| {
            let pair: js_sys::Array = pair.unchecked_into();
            Ok((pair.get(0).as_string().unwrap_or_default(), build(&pair.get(1), depth + 1)?))
        });
        Tree::Obj(members.collect::<Result<_, _>>()?)
    } else {
        Tree::Null
    })
}

#[cfg(test)]
mod tests;
