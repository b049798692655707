//! `Throwable`, the exceptions and errors of `java.lang` (and the
//! formatter's), and stack traces as HotSpot prints them.
//!
//! A throwable's stack trace is recorded when it is constructed, as text
//! (one `Class.method(File.java:line)` per line) in a hidden field: it is
//! only ever printed.

use gc_core::ObjRef;

use super::{VOID, arg, obj_arg, ref_arg, text};
use crate::loader::{Builtin, NativeMethod};
use crate::roots::Slot;
use crate::vm::{Run, Vm};

const PUBLIC: u16 = 0x0001;

/// Every throwable class of the runtime and its superclass.
const CLASSES: &[(&str, &str)] = &[
    ("java/lang/Exception", "java/lang/Throwable"),
    ("java/lang/Error", "java/lang/Throwable"),
    ("java/lang/RuntimeException", "java/lang/Exception"),
    ("java/lang/InterruptedException", "java/lang/Exception"),
    (
        "java/lang/CloneNotSupportedException",
        "java/lang/Exception",
    ),
    (
        "java/lang/IllegalArgumentException",
        "java/lang/RuntimeException",
    ),
    (
        "java/lang/IllegalStateException",
        "java/lang/RuntimeException",
    ),
    (
        "java/lang/UnsupportedOperationException",
        "java/lang/RuntimeException",
    ),
    (
        "java/lang/NumberFormatException",
        "java/lang/IllegalArgumentException",
    ),
    (
        "java/lang/ArithmeticException",
        "java/lang/RuntimeException",
    ),
    (
        "java/lang/IndexOutOfBoundsException",
        "java/lang/RuntimeException",
    ),
    (
        "java/lang/ArrayIndexOutOfBoundsException",
        "java/lang/IndexOutOfBoundsException",
    ),
    (
        "java/lang/StringIndexOutOfBoundsException",
        "java/lang/IndexOutOfBoundsException",
    ),
    (
        "java/lang/NullPointerException",
        "java/lang/RuntimeException",
    ),
    ("java/lang/ClassCastException", "java/lang/RuntimeException"),
    (
        "java/lang/NegativeArraySizeException",
        "java/lang/RuntimeException",
    ),
    (
        "java/lang/ArrayStoreException",
        "java/lang/RuntimeException",
    ),
    (
        "java/util/NoSuchElementException",
        "java/lang/RuntimeException",
    ),
    (
        "java/util/ConcurrentModificationException",
        "java/lang/RuntimeException",
    ),
    ("java/lang/VirtualMachineError", "java/lang/Error"),
    (
        "java/lang/OutOfMemoryError",
        "java/lang/VirtualMachineError",
    ),
    (
        "java/lang/StackOverflowError",
        "java/lang/VirtualMachineError",
    ),
    ("java/lang/LinkageError", "java/lang/Error"),
    (
        "java/lang/IncompatibleClassChangeError",
        "java/lang/LinkageError",
    ),
    (
        "java/lang/AbstractMethodError",
        "java/lang/IncompatibleClassChangeError",
    ),
    ("java/lang/AssertionError", "java/lang/Error"),
    (
        "java/util/IllegalFormatException",
        "java/lang/IllegalArgumentException",
    ),
    (
        "java/util/MissingFormatArgumentException",
        "java/util/IllegalFormatException",
    ),
    (
        "java/util/UnknownFormatConversionException",
        "java/util/IllegalFormatException",
    ),
    (
        "java/util/IllegalFormatConversionException",
        "java/util/IllegalFormatException",
    ),
    (
        "java/util/FormatFlagsConversionMismatchException",
        "java/util/IllegalFormatException",
    ),
    (
        "java/util/IllegalFormatFlagsException",
        "java/util/IllegalFormatException",
    ),
    (
        "java/util/IllegalFormatPrecisionException",
        "java/util/IllegalFormatException",
    ),
    (
        "java/util/IllegalFormatWidthException",
        "java/util/IllegalFormatException",
    ),
    (
        "java/util/MissingFormatWidthException",
        "java/util/IllegalFormatException",
    ),
    (
        "java/util/DuplicateFormatFlagsException",
        "java/util/IllegalFormatException",
    ),
];

/// Sets this throwable's message and cause, and records the stack.
fn init(vm: &mut Vm, b: usize, message: Option<usize>, cause: Option<usize>) -> Run<Slot> {
    let this = obj_arg(vm, b, 0)?;
    let (m, c) = (vm.wk.message_field, vm.wk.cause_field);
    // SAFETY: a live throwable's reference fields; live values.
    unsafe {
        if let Some(i) = message {
            vm.gc.put_ref(this, m, ref_arg(vm, b, i)?);
        }
        if let Some(i) = cause {
            vm.gc.put_ref(this, c, ref_arg(vm, b, i)?);
        }
    }
    vm.roots.scratch.push(Slot::reference(this.addr()));
    let r = vm.fill_stack_trace();
    vm.roots.scratch.pop();
    r.map(|()| VOID)
}

fn field(vm: &mut Vm, b: usize, offset: usize) -> Run<Slot> {
    let this = obj_arg(vm, b, 0)?;
    // SAFETY: a live throwable's reference field.
    Ok(Slot::reference(unsafe { this.read_word(offset) }))
}

fn constructors() -> Vec<NativeMethod> {
    vec![
        (
            "<init>",
            "()V",
            PUBLIC,
            Some(|vm, b| init(vm, b, None, None)),
        ),
        (
            "<init>",
            "(Ljava/lang/String;)V",
            PUBLIC,
            Some(|vm, b| init(vm, b, Some(1), None)),
        ),
        (
            "<init>",
            "(Ljava/lang/String;Ljava/lang/Throwable;)V",
            PUBLIC,
            Some(|vm, b| init(vm, b, Some(1), Some(2))),
        ),
        (
            "<init>",
            "(Ljava/lang/Throwable;)V",
            PUBLIC,
            Some(|vm, b| {
                // Java's message for a wrapped cause is the cause's toString().
                let cause = ref_arg(vm, b, 1)?;
                let msg = match cause {
                    0 => 0,
                    c => {
                        let t = vm.call_virtual(c, "toString", "()Ljava/lang/String;", &[])?;
                        t.addr()
                    }
                };
                vm.roots.stack.push(Slot::reference(msg));
                let at = vm.roots.stack.len() - 1 - b;
                init(vm, b, Some(at), Some(1))
            }),
        ),
    ]
}

fn throwable_methods() -> Vec<NativeMethod> {
    let mut m = constructors();
    m.extend::<[NativeMethod; 8]>([
        (
            "getMessage",
            "()Ljava/lang/String;",
            PUBLIC,
            Some(|vm, b| field(vm, b, vm.wk.message_field)),
        ),
        (
            "getLocalizedMessage",
            "()Ljava/lang/String;",
            PUBLIC,
            Some(|vm, b| {
                let this = ref_arg(vm, b, 0)?;
                vm.call_virtual(this, "getMessage", "()Ljava/lang/String;", &[])
            }),
        ),
        (
            "getCause",
            "()Ljava/lang/Throwable;",
            PUBLIC,
            Some(|vm, b| field(vm, b, vm.wk.cause_field)),
        ),
        (
            "initCause",
            "(Ljava/lang/Throwable;)Ljava/lang/Throwable;",
            PUBLIC,
            Some(|vm, b| {
                let this = obj_arg(vm, b, 0)?;
                // SAFETY: a live throwable's reference field; a live value.
                unsafe { vm.gc.put_ref(this, vm.wk.cause_field, ref_arg(vm, b, 1)?) };
                Ok(Slot::reference(this.addr()))
            }),
        ),
        (
            "fillInStackTrace",
            "()Ljava/lang/Throwable;",
            PUBLIC,
            Some(|vm, b| {
                let this = obj_arg(vm, b, 0)?;
                vm.roots.scratch.push(Slot::reference(this.addr()));
                let r = vm.fill_stack_trace();
                vm.roots.scratch.pop();
                r?;
                Ok(arg(vm, b, 0))
            }),
        ),
        (
            "toString",
            "()Ljava/lang/String;",
            PUBLIC,
            Some(|vm, b| {
                let this = obj_arg(vm, b, 0)?;
                let name = vm.cls.class(vm.class_of(this)).java_name();
                let msg = vm.call_virtual(
                    this.addr(),
                    "getLocalizedMessage",
                    "()Ljava/lang/String;",
                    &[],
                )?;
                let t = match msg.addr() {
                    0 => name,
                    m => format!("{name}: {}", vm.text_of(m)),
                };
                text(vm, &t)
            }),
        ),
        (
            "printStackTrace",
            "()V",
            PUBLIC,
            Some(|vm, b| {
                let this = obj_arg(vm, b, 0)?;
                vm.roots.scratch.push(Slot::reference(this.addr()));
                let t = stack_trace_text(vm);
                vm.roots.scratch.pop();
                let t = t?;
                vm.write_fd(2, &t);
                Ok(VOID)
            }),
        ),
        (
            "addSuppressed",
            "(Ljava/lang/Throwable;)V",
            PUBLIC,
            Some(|_, _| Ok(VOID)),
        ),
    ]);
    m
}

/// The recorded frames of the throwable rooted at the top of the scratch
/// stack.
fn frames(vm: &Vm) -> Vec<String> {
    let t = vm.roots.scratch.get(vm.roots.scratch.len() - 1).addr();
    let Some(t) = ObjRef::from_addr(t) else {
        return Vec::new();
    };
    // SAFETY: a live throwable's reference field.
    let trace = unsafe { t.read_word(vm.wk.trace_field) };
    if trace == 0 {
        return Vec::new();
    }
    vm.text_of(trace).lines().map(str::to_owned).collect()
}

/// `printStackTrace()`'s text for the throwable rooted at the top of the
/// scratch stack: its `toString()`, its frames, then its causes', each
/// with the frames it shares with the one it caused folded into "... n more".
pub(crate) fn stack_trace_text(vm: &mut Vm) -> Run<String> {
    let mut out = String::new();
    let mut enclosing: Vec<String> = Vec::new();
    let mut depth = 0;
    loop {
        let top = vm.roots.scratch.len() - 1;
        let t = vm.roots.scratch.get(top).addr();
        let s = vm.call_virtual(t, "toString", "()Ljava/lang/String;", &[])?;
        let head = vm.text_of(s.addr());
        let frames = frames(vm);
        let common = frames
            .iter()
            .rev()
            .zip(enclosing.iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        if depth > 0 {
            out.push_str("Caused by: ");
        }
        out.push_str(&head);
        out.push('\n');
        for f in &frames[..frames.len() - common] {
            out.push_str("\tat ");
            out.push_str(f);
            out.push('\n');
        }
        if common > 0 {
            out.push_str(&format!("\t... {common} more\n"));
        }
        let t = ObjRef::from_addr(vm.roots.scratch.get(top).addr());
        // SAFETY: a live throwable's reference field.
        let cause = t.map_or(0, |t| unsafe { t.read_word(vm.wk.cause_field) });
        depth += 1;
        if cause == 0 || cause == t.map_or(0, ObjRef::addr) || depth > 64 {
            return Ok(out);
        }
        vm.roots.scratch.set(top, Slot::reference(cause));
        enclosing = frames;
    }
}

pub(super) fn classes() -> Vec<Builtin> {
    let mut all = vec![Builtin {
        name: "java/lang/Throwable",
        super_name: Some("java/lang/Object"),
        interfaces: &["java/io/Serializable"],
        access: PUBLIC,
        fields: &[
            ("detailMessage", "Ljava/lang/String;"),
            ("cause", "Ljava/lang/Throwable;"),
            ("stackTrace", "Ljava/lang/String;"),
        ],
        statics: &[],
        methods: throwable_methods(),
    }];
    for &(name, super_name) in CLASSES {
        all.push(Builtin {
            name,
            super_name: Some(super_name),
            interfaces: &[],
            access: PUBLIC,
            fields: &[],
            statics: &[],
            methods: constructors(),
        });
    }
    all
}
