//! `java.lang.ref.WeakReference` on the collector's weak slots: the
//! referent is a field of kind `SlotKind::Weak`, which marking does not
//! follow and the cycle that finds the referent unreachable clears. Java
//! code never reaches the field (the runtime's fields are private to it),
//! so every access goes through `write_weak` and `read_weak`, and a `get`
//! during marking keeps the referent alive for that cycle, as the library
//! requires.

use gc_core::ObjRef;

use super::{VOID, boolean, obj_arg, ref_arg};
use crate::classfile::access::ABSTRACT;
use crate::loader::Builtin;
use crate::roots::Slot;
use crate::vm::{Run, Vm};

const PUBLIC: u16 = 0x0001;

/// `Reference.get()`: the referent, or null once cleared.
fn get(vm: &mut Vm, b: usize) -> Run<Option<ObjRef>> {
    let r = obj_arg(vm, b, 0)?;
    let at = vm.wk.referent_field;
    // SAFETY: a live Reference (the interpreter checked the receiver's
    // class), whose referent field is a weak slot.
    Ok(unsafe { vm.gc.m.read_weak(r, at) })
}

/// Stores `referent` (an address, 0 for null) in reference `r`'s weak slot.
fn set(vm: &mut Vm, r: ObjRef, referent: usize) {
    let at = vm.wk.referent_field;
    // SAFETY: a live Reference's weak slot; the referent is null or live.
    unsafe { vm.gc.m.write_weak(r, at, ObjRef::from_addr(referent)) };
}

pub(super) fn classes() -> Vec<Builtin> {
    vec![
        Builtin {
            name: "java/lang/ref/Reference",
            super_name: Some("java/lang/Object"),
            interfaces: &[],
            access: PUBLIC | ABSTRACT,
            fields: &[("referent", "Ljava/lang/Object;")],
            statics: &[],
            methods: vec![
                (
                    "get",
                    "()Ljava/lang/Object;",
                    PUBLIC,
                    Some(|vm, b| {
                        let o = get(vm, b)?;
                        Ok(Slot::reference(o.map_or(0, ObjRef::addr)))
                    }),
                ),
                (
                    "refersTo",
                    "(Ljava/lang/Object;)Z",
                    PUBLIC,
                    Some(|vm, b| {
                        let other = ref_arg(vm, b, 1)?;
                        let o = get(vm, b)?;
                        Ok(boolean(o.map_or(0, ObjRef::addr) == other))
                    }),
                ),
                (
                    "clear",
                    "()V",
                    PUBLIC,
                    Some(|vm, b| {
                        let r = obj_arg(vm, b, 0)?;
                        set(vm, r, 0);
                        Ok(VOID)
                    }),
                ),
            ],
        },
        Builtin {
            name: "java/lang/ref/WeakReference",
            super_name: Some("java/lang/ref/Reference"),
            interfaces: &[],
            access: PUBLIC,
            fields: &[],
            statics: &[],
            methods: vec![(
                "<init>",
                "(Ljava/lang/Object;)V",
                PUBLIC,
                Some(|vm, b| {
                    let referent = ref_arg(vm, b, 1)?;
                    let r = obj_arg(vm, b, 0)?;
                    set(vm, r, referent);
                    Ok(VOID)
                }),
            )],
        },
    ]
}
