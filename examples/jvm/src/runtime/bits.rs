//! `Integer`'s and `Long`'s bit utilities (`numberOfLeadingZeros`,
//! `bitCount`, `rotateLeft`...), with Java's semantics: a rotation's
//! distance is taken modulo the width, as Java's shifts take theirs, and
//! the counts of an all-zero value are the width.

use super::arg;
use crate::classfile::access::STATIC;
use crate::loader::NativeMethod;
use crate::roots::Slot;

const ST: u16 = 0x0001 | STATIC;

/// `Integer`'s.
pub(super) fn int() -> Vec<NativeMethod> {
    vec![
        (
            "numberOfLeadingZeros",
            "(I)I",
            ST,
            Some(|vm, b| Ok(Slot::int(arg(vm, b, 0).as_int().leading_zeros() as i32))),
        ),
        (
            "numberOfTrailingZeros",
            "(I)I",
            ST,
            Some(|vm, b| Ok(Slot::int(arg(vm, b, 0).as_int().trailing_zeros() as i32))),
        ),
        (
            "bitCount",
            "(I)I",
            ST,
            Some(|vm, b| Ok(Slot::int(arg(vm, b, 0).as_int().count_ones() as i32))),
        ),
        (
            "highestOneBit",
            "(I)I",
            ST,
            Some(|vm, b| {
                let x = arg(vm, b, 0).as_int() as u32;
                Ok(Slot::int(x.checked_ilog2().map_or(0, |n| 1u32 << n) as i32))
            }),
        ),
        (
            "lowestOneBit",
            "(I)I",
            ST,
            Some(|vm, b| {
                let x = arg(vm, b, 0).as_int();
                Ok(Slot::int(x & x.wrapping_neg()))
            }),
        ),
        (
            "rotateLeft",
            "(II)I",
            ST,
            Some(|vm, b| {
                let (x, d) = (arg(vm, b, 0).as_int(), arg(vm, b, 1).as_int());
                Ok(Slot::int(x.rotate_left(d as u32 & 31)))
            }),
        ),
        (
            "rotateRight",
            "(II)I",
            ST,
            Some(|vm, b| {
                let (x, d) = (arg(vm, b, 0).as_int(), arg(vm, b, 1).as_int());
                Ok(Slot::int(x.rotate_right(d as u32 & 31)))
            }),
        ),
        (
            "reverse",
            "(I)I",
            ST,
            Some(|vm, b| Ok(Slot::int(arg(vm, b, 0).as_int().reverse_bits()))),
        ),
        (
            "reverseBytes",
            "(I)I",
            ST,
            Some(|vm, b| Ok(Slot::int(arg(vm, b, 0).as_int().swap_bytes()))),
        ),
        (
            "signum",
            "(I)I",
            ST,
            Some(|vm, b| Ok(Slot::int(arg(vm, b, 0).as_int().signum()))),
        ),
    ]
}

/// `Long`'s: a `long` argument takes two slots, so an `int` after it is
/// argument 2.
pub(super) fn long() -> Vec<NativeMethod> {
    vec![
        (
            "numberOfLeadingZeros",
            "(J)I",
            ST,
            Some(|vm, b| Ok(Slot::int(arg(vm, b, 0).as_long().leading_zeros() as i32))),
        ),
        (
            "numberOfTrailingZeros",
            "(J)I",
            ST,
            Some(|vm, b| Ok(Slot::int(arg(vm, b, 0).as_long().trailing_zeros() as i32))),
        ),
        (
            "bitCount",
            "(J)I",
            ST,
            Some(|vm, b| Ok(Slot::int(arg(vm, b, 0).as_long().count_ones() as i32))),
        ),
        (
            "highestOneBit",
            "(J)J",
            ST,
            Some(|vm, b| {
                let x = arg(vm, b, 0).as_long() as u64;
                Ok(Slot::long(x.checked_ilog2().map_or(0, |n| 1u64 << n) as i64))
            }),
        ),
        (
            "lowestOneBit",
            "(J)J",
            ST,
            Some(|vm, b| {
                let x = arg(vm, b, 0).as_long();
                Ok(Slot::long(x & x.wrapping_neg()))
            }),
        ),
        (
            "rotateLeft",
            "(JI)J",
            ST,
            Some(|vm, b| {
                let (x, d) = (arg(vm, b, 0).as_long(), arg(vm, b, 2).as_int());
                Ok(Slot::long(x.rotate_left(d as u32 & 63)))
            }),
        ),
        (
            "rotateRight",
            "(JI)J",
            ST,
            Some(|vm, b| {
                let (x, d) = (arg(vm, b, 0).as_long(), arg(vm, b, 2).as_int());
                Ok(Slot::long(x.rotate_right(d as u32 & 63)))
            }),
        ),
        (
            "reverse",
            "(J)J",
            ST,
            Some(|vm, b| Ok(Slot::long(arg(vm, b, 0).as_long().reverse_bits()))),
        ),
        (
            "reverseBytes",
            "(J)J",
            ST,
            Some(|vm, b| Ok(Slot::long(arg(vm, b, 0).as_long().swap_bytes()))),
        ),
        (
            "signum",
            "(J)I",
            ST,
            Some(|vm, b| Ok(Slot::int(arg(vm, b, 0).as_long().signum() as i32))),
        ),
    ]
}
