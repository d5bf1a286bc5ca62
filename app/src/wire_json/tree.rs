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

std::thread_local! {
    /// How many containers the deserializer is inside (the browser has one thread).
    static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Entered one more container while deserializing: refused past [`MAX_DEPTH`]. Kept out of
/// the generic code (one copy, not one per visitor: the learner's download has a budget).
struct Inside;

impl Inside {
    #[inline(never)]
    fn enter() -> Result<Self, Unreadable> {
        let depth = DEPTH.with(|d| d.get()) + 1;
        if depth > MAX_DEPTH {
            return Err(Unreadable);
        }
        DEPTH.with(|d| d.set(depth));
        Ok(Inside)
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get() - 1));
    }
}

impl<'de> Deserializer<'de> for Tree {
    type Error = Unreadable;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        match self {
            Tree::Null => visitor.visit_unit(),
            Tree::Bool(b) => visitor.visit_bool(b),
            // Whole numbers as integers, as serde_json reads `42`: integer fields accept no f64.
            Tree::Num(n) if n.fract() == 0.0 && (0.0..=EXACT).contains(&n) => visitor.visit_u64(n as u64),
            Tree::Num(n) if n.fract() == 0.0 && (-EXACT..0.0).contains(&n) => visitor.visit_i64(n as i64),
            // `1e400` parses to Infinity in the browser; serde_json refuses it.
            Tree::Num(n) if n.is_finite() => visitor.visit_f64(n),
            Tree::Num(_) => Err(Unreadable),
            Tree::Str(s) => visitor.visit_string(s),
            Tree::Arr(items) => {
                let _inside = Inside::enter()?;
                // `end` refuses items the visitor left (a pair given 3), as serde_json does.
                let mut seq = SeqDeserializer::new(items.into_iter());
                let value = visitor.visit_seq(&mut seq)?;
                seq.end().map(|()| value)
            }
            Tree::Obj(members) => {
                let _inside = Inside::enter()?;
                visitor.visit_map(MapDeserializer::new(members.into_iter()))
            }
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
            Tree::Obj(mut members) if members.len() == 1 => {
                let _inside = Inside::enter()?;
                visitor.visit_enum(Variant(members.remove(0)))
            }
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
