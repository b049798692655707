//! The runtime library: the parts of `java.lang` (and `java.io.PrintStream`,
//! `java.util.Iterator`) that ordinary programs touch, written in Rust as
//! classes of native methods.
//!
//! - `lang`: `Object`, `String`, `StringBuilder`, the interfaces.
//! - `boxes`: `Integer`, `Long`, `Double` and the other wrappers; `Math`;
//!   `bits`: `Integer`'s and `Long`'s bit utilities.
//! - `system`: `System`, `PrintStream`, `Runtime`, and formatting.
//! - `throwable`: `Throwable`, its subclasses, and stack traces.
//! - `refs`: `java.lang.ref.WeakReference`, on the collector's weak slots.
//!
//! A native gets the VM and the stack index of its first argument (the
//! receiver, for an instance method); the arguments stay on the stack,
//! rooted, until it returns, so it reads them again after any allocation.

use gc_core::ObjRef;

use crate::class::ClassId;
use crate::descriptor::Kind;
use crate::errors::Error;
use crate::errors::LoadError;
use crate::loader::{Builtin, Classes};
use crate::roots::Slot;
use crate::vm::{Run, Trap, Vm};

mod bits;
mod boxes;
mod lang;
mod refs;
mod system;
mod throwable;

pub(crate) use lang::STRING_MARK;
pub(crate) use system::{init_statics, print_uncaught};

/// A method written in Rust: the VM and the stack index of its arguments.
pub(crate) type Native = fn(&mut Vm, usize) -> Run<Slot>;

/// Every runtime class.
pub(crate) fn classes() -> Vec<Builtin> {
    let mut all = lang::classes();
    all.extend(boxes::classes());
    all.extend(system::classes());
    all.extend(throwable::classes());
    all.extend(refs::classes());
    all
}

/// Classes, fields and constant slots the VM itself needs.
pub(crate) struct WellKnown {
    pub(crate) object: ClassId,
    pub(crate) string: ClassId,
    pub(crate) throwable: ClassId,
    pub(crate) print_stream: ClassId,
    pub(crate) runtime: ClassId,
    pub(crate) npe: ClassId,
    pub(crate) aioobe: ClassId,
    pub(crate) sioobe: ClassId,
    pub(crate) arithmetic: ClassId,
    pub(crate) class_cast: ClassId,
    pub(crate) negative_array_size: ClassId,
    pub(crate) array_store: ClassId,
    pub(crate) stack_overflow: ClassId,
    pub(crate) oom: ClassId,
    pub(crate) abstract_method_error: ClassId,
    pub(crate) incompatible_class_change: ClassId,
    pub(crate) number_format: ClassId,
    pub(crate) illegal_argument: ClassId,
    pub(crate) integer: ClassId,
    pub(crate) long: ClassId,
    pub(crate) double: ClassId,
    pub(crate) float: ClassId,
    pub(crate) short: ClassId,
    pub(crate) byte: ClassId,
    pub(crate) character: ClassId,
    pub(crate) boolean: ClassId,
    /// Array classes of the primitive types, in [`Prim::ALL`](crate::gc::Prim)'s order.
    pub(crate) prim_arrays: [ClassId; 8],
    /// Byte offsets of `Throwable`'s message, cause and stack trace.
    pub(crate) message_field: usize,
    pub(crate) cause_field: usize,
    pub(crate) trace_field: usize,
    /// `StringBuilder`'s character array and count.
    pub(crate) sb_value: usize,
    pub(crate) sb_count: usize,
    /// `Reference`'s referent, a weak slot.
    pub(crate) referent_field: usize,
    /// `System.out` and `System.err`: their static slots.
    pub(crate) system_out: usize,
    pub(crate) system_err: usize,
}

/// A field's offset or static slot, as linked.
fn field_at(cls: &Classes, class: ClassId, name: &str) -> Result<usize, LoadError> {
    cls.resolve_field(class, name)
        .map(|(_, f)| f.at)
        .ok_or_else(|| LoadError {
            class: cls.class(class).name.clone(),
            method: None,
            reason: format!("the runtime lacks field {name}"),
        })
}

impl WellKnown {
    /// Finds them in linked classes.
    pub(crate) fn find(cls: &mut Classes) -> Result<WellKnown, LoadError> {
        let mut id = |name: &str| {
            cls.lookup(name).map_err(|reason| LoadError {
                class: name.to_owned(),
                method: None,
                reason,
            })
        };
        let mut prim_arrays = [ClassId(0); 8];
        for (c, p) in prim_arrays.iter_mut().zip(crate::gc::Prim::ALL) {
            *c = id(p.array_name())?;
        }
        let throwable = id("java/lang/Throwable")?;
        let string_builder = id("java/lang/StringBuilder")?;
        let system = id("java/lang/System")?;
        let reference = id("java/lang/ref/Reference")?;
        let wk = WellKnown {
            object: id("java/lang/Object")?,
            string: id("java/lang/String")?,
            throwable,
            print_stream: id("java/io/PrintStream")?,
            runtime: id("java/lang/Runtime")?,
            npe: id("java/lang/NullPointerException")?,
            aioobe: id("java/lang/ArrayIndexOutOfBoundsException")?,
            sioobe: id("java/lang/StringIndexOutOfBoundsException")?,
            arithmetic: id("java/lang/ArithmeticException")?,
            class_cast: id("java/lang/ClassCastException")?,
            negative_array_size: id("java/lang/NegativeArraySizeException")?,
            array_store: id("java/lang/ArrayStoreException")?,
            stack_overflow: id("java/lang/StackOverflowError")?,
            oom: id("java/lang/OutOfMemoryError")?,
            abstract_method_error: id("java/lang/AbstractMethodError")?,
            incompatible_class_change: id("java/lang/IncompatibleClassChangeError")?,
            number_format: id("java/lang/NumberFormatException")?,
            illegal_argument: id("java/lang/IllegalArgumentException")?,
            integer: id("java/lang/Integer")?,
            long: id("java/lang/Long")?,
            double: id("java/lang/Double")?,
            float: id("java/lang/Float")?,
            short: id("java/lang/Short")?,
            byte: id("java/lang/Byte")?,
            character: id("java/lang/Character")?,
            boolean: id("java/lang/Boolean")?,
            prim_arrays,
            message_field: field_at(cls, throwable, "detailMessage")?,
            cause_field: field_at(cls, throwable, "cause")?,
            trace_field: field_at(cls, throwable, "stackTrace")?,
            sb_value: field_at(cls, string_builder, "value")?,
            sb_count: field_at(cls, string_builder, "count")?,
            referent_field: field_at(cls, reference, "referent")?,
            system_out: field_at(cls, system, "out")?,
            system_err: field_at(cls, system, "err")?,
        };
        Ok(wk)
    }
}

/// The `i`th argument slot.
#[inline]
pub(crate) fn arg(vm: &Vm, base: usize, i: usize) -> Slot {
    vm.roots.stack.get(base + i)
}

/// The `i`th argument, which the descriptor says is a reference: its
/// address (0 for null). The verifier's check, made here: anything else
/// would be read as an address.
pub(crate) fn ref_arg(vm: &Vm, base: usize, i: usize) -> Run<usize> {
    let s = arg(vm, base, i);
    if !s.is_ref {
        return Err(Trap::Fatal(Error::Internal(format!(
            "verify error: argument {i} of a native method should be a reference"
        ))));
    }
    Ok(s.addr())
}

/// The `i`th argument as a non-null object, or `NullPointerException`.
pub(crate) fn obj_arg(vm: &mut Vm, base: usize, i: usize) -> Run<ObjRef> {
    match ObjRef::from_addr(ref_arg(vm, base, i)?) {
        Some(o) => Ok(o),
        None => Err(vm.raise(vm.wk.npe, None)),
    }
}

/// The `i`th argument, a string, as UTF-16 units (`NullPointerException`
/// if null).
pub(crate) fn units_arg(vm: &mut Vm, base: usize, i: usize) -> Run<Vec<u16>> {
    let s = obj_arg(vm, base, i)?;
    if vm.class_of(s) != vm.wk.string {
        let class = vm.cls.class(vm.class_of(s)).java_name();
        return Err(vm.raise(vm.wk.class_cast, Some(&format!("{class} is not a string"))));
    }
    // SAFETY: a live string, just checked.
    Ok(unsafe { crate::gc::string_units(s) }.to_vec())
}

/// Returns a new string.
pub(crate) fn string(vm: &mut Vm, units: &[u16]) -> Run<Slot> {
    let s = vm.new_string_units(units)?;
    Ok(Slot::reference(s.addr()))
}

/// Returns a new string of Rust text.
pub(crate) fn text(vm: &mut Vm, t: &str) -> Run<Slot> {
    let u: Vec<u16> = t.encode_utf16().collect();
    string(vm, &u)
}

/// How Java prints a primitive value of `kind` (`String.valueOf`, `+`,
/// `print`); `None` for a reference, whose text is its `toString()`.
pub(crate) fn primitive_text(s: Slot, kind: Kind) -> Option<String> {
    Some(match kind {
        Kind::Int | Kind::Short | Kind::Byte => s.as_int().to_string(),
        Kind::Char => String::from_utf16_lossy(&[s.as_int() as u16]),
        Kind::Boolean => (if s.as_int() != 0 { "true" } else { "false" }).to_owned(),
        Kind::Long => s.as_long().to_string(),
        Kind::Float => crate::jfmt::float_to_string(s.as_float()),
        Kind::Double => crate::jfmt::double_to_string(s.as_double()),
        Kind::Ref => return None,
    })
}

/// A native that returns its first argument, a primitive of `kind`, as a
/// string (`Integer.toString(int)`, `String.valueOf(int)`, ...).
pub(crate) fn value_text(vm: &mut Vm, base: usize, kind: Kind) -> Run<Slot> {
    let t = primitive_text(arg(vm, base, 0), kind).unwrap_or_default();
    text(vm, &t)
}

/// A `void` native's result.
pub(crate) const VOID: Slot = Slot::int(0);

/// A `boolean` result.
pub(crate) fn boolean(b: bool) -> Slot {
    Slot::int(i32::from(b))
}

impl Vm {
    /// `String.valueOf(obj)`: `"null"`, a string's text, or `toString()`.
    pub(crate) fn string_value(&mut self, addr: usize) -> Run<String> {
        let Some(obj) = ObjRef::from_addr(addr) else {
            return Ok("null".to_owned());
        };
        if self.class_of(obj) == self.wk.string {
            return Ok(self.text_of(addr));
        }
        let s = self.call_virtual(addr, "toString", "()Ljava/lang/String;", &[])?;
        Ok(self.text_of(s.addr()))
    }
}
