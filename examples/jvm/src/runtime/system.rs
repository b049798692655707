//! `System`, `java.io.PrintStream`, `Runtime`, and `String.format`'s
//! argument conversion.

use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use gc_core::{ObjRef, WORD};

use super::{VOID, arg, obj_arg, ref_arg};
use crate::classfile::access::{FINAL, STATIC};
use crate::errors::Error;
use crate::gc::{DATA, ELEMS};
use crate::jfmt::{self, Arg};
use crate::loader::{Builtin, NativeMethod};
use crate::roots::Slot;
use crate::vm::{Run, Trap, Vm};

const PUBLIC: u16 = 0x0001;
const ST: u16 = PUBLIC | STATIC;

/// The offset of `PrintStream`'s file descriptor: its only field.
const FD: usize = WORD;

/// Creates `System.out` and `System.err`.
pub(crate) fn init_statics(vm: &mut Vm) -> Run<()> {
    for (fd, slot) in [(1, vm.wk.system_out), (2, vm.wk.system_err)] {
        let ps = vm.new_object(vm.wk.print_stream)?;
        // SAFETY: a fresh PrintStream; fd is its data field.
        unsafe { ps.write_word(FD, fd) };
        vm.roots.statics.set(slot, Slot::reference(ps.addr()));
    }
    Ok(())
}

fn fd(vm: &mut Vm, b: usize) -> Run<i32> {
    let ps = obj_arg(vm, b, 0)?;
    // SAFETY: a live PrintStream.
    Ok(unsafe { ps.read_word(FD) } as i32)
}

/// The text `print(x)` writes for the argument at `b + 1`, by descriptor.
fn shown(vm: &mut Vm, b: usize, desc: &str) -> Run<String> {
    let kind = crate::descriptor::field(desc).unwrap_or(crate::descriptor::Kind::Ref);
    if let Some(t) = super::primitive_text(arg(vm, b, 1), kind) {
        return Ok(t);
    }
    Ok(match desc {
        "[C" => {
            let a = obj_arg(vm, b, 1)?;
            let (len, _) = vm.array_len(a).unwrap_or((0, None));
            // SAFETY: a live char array of len units.
            String::from_utf16_lossy(unsafe {
                std::slice::from_raw_parts(a.byte_ptr(DATA).cast::<u16>(), len)
            })
        }
        _ => vm.string_value(super::ref_arg(vm, b, 1)?)?,
    })
}

/// `print` and `println` for every argument type.
fn print_methods() -> Vec<NativeMethod> {
    macro_rules! printers {
        ($($desc:literal),*) => {
            vec![$(
                ("print", concat!("(", $desc, ")V"), PUBLIC, Some((|vm: &mut Vm, b| {
                    let t = shown(vm, b, $desc)?;
                    let fd = fd(vm, b)?;
                    vm.write_fd(fd, &t);
                    Ok(VOID)
                }) as super::Native)),
                ("println", concat!("(", $desc, ")V"), PUBLIC, Some((|vm: &mut Vm, b| {
                    let mut t = shown(vm, b, $desc)?;
                    t.push('\n');
                    let fd = fd(vm, b)?;
                    vm.write_fd(fd, &t);
                    Ok(VOID)
                }) as super::Native)),
            )*]
        };
    }
    let mut m: Vec<NativeMethod> = printers!(
        "Z",
        "C",
        "I",
        "J",
        "F",
        "D",
        "[C",
        "Ljava/lang/String;",
        "Ljava/lang/Object;"
    );
    m.extend::<[NativeMethod; 4]>([
        (
            "println",
            "()V",
            PUBLIC,
            Some(|vm, b| {
                let fd = fd(vm, b)?;
                vm.write_fd(fd, "\n");
                Ok(VOID)
            }),
        ),
        (
            "printf",
            "(Ljava/lang/String;[Ljava/lang/Object;)Ljava/io/PrintStream;",
            PUBLIC,
            Some(printf),
        ),
        (
            "format",
            "(Ljava/lang/String;[Ljava/lang/Object;)Ljava/io/PrintStream;",
            PUBLIC,
            Some(printf),
        ),
        (
            "flush",
            "()V",
            PUBLIC,
            Some(|vm, _| {
                let _ = vm.out.flush();
                Ok(VOID)
            }),
        ),
    ]);
    m
}

fn printf(vm: &mut Vm, b: usize) -> Run<Slot> {
    let t = vm.format(b + 1)?;
    let fd = fd(vm, b)?;
    vm.write_fd(fd, &t);
    Ok(arg(vm, b, 0))
}

impl Vm {
    /// `String.format` with the format string at stack index `at` and the
    /// `Object[]` of arguments after it.
    pub(crate) fn format(&mut self, at: usize) -> Run<String> {
        let fmt = String::from_utf16_lossy(&super::units_arg(self, at, 0)?);
        let n = match ObjRef::from_addr(ref_arg(self, at, 1)?) {
            Some(a) => self.array_len(a).map_or(0, |(l, _)| l),
            None => 0,
        };
        let mut args = Vec::with_capacity(n);
        for i in 0..n {
            // Reread the array each time: a toString() may have moved it.
            let arr = obj_arg(self, at, 1)?;
            // SAFETY: a live Object[] with i in bounds.
            let e = unsafe { arr.read_word(ELEMS + i * WORD) };
            args.push(self.format_arg(e)?);
        }
        jfmt::format(&fmt, &args).map_err(|e| {
            let class = self
                .cls
                .by_name
                .get(&e.exception.replace('.', "/"))
                .copied()
                .unwrap_or(self.wk.illegal_argument);
            self.raise(class, Some(&e.message))
        })
    }

    fn format_arg(&mut self, e: usize) -> Run<Arg> {
        let Some(o) = ObjRef::from_addr(e) else {
            return Ok(Arg::Null);
        };
        let class = self.class_of(o);
        let wk = &self.wk;
        // SAFETY: a live box of the class just read; value is its field.
        let v = || unsafe { o.read_word(WORD) } as u64;
        Ok(match class {
            c if c == wk.integer => Arg::Int(v() as i32),
            c if c == wk.long => Arg::Long(v() as i64),
            c if c == wk.double => Arg::Double(f64::from_bits(v())),
            c if c == wk.float => Arg::Float(f32::from_bits(v() as u32)),
            c if c == wk.short => Arg::Short(v() as i16),
            c if c == wk.byte => Arg::Byte(v() as i8),
            c if c == wk.character => Arg::Char(v() as u16),
            c if c == wk.boolean => Arg::Bool(v() as i32 != 0),
            c if c == wk.string => Arg::Str(self.text_of(e)),
            c => {
                let class = self.cls.class(c).java_name();
                Arg::Obj {
                    class,
                    text: self.string_value(e)?,
                }
            }
        })
    }

    /// `System.arraycopy`.
    fn arraycopy(&mut self, b: usize) -> Run<()> {
        let (src, dst) = (obj_arg(self, b, 0)?, obj_arg(self, b, 2)?);
        let (sp, dp, n) = (
            arg(self, b, 1).as_int(),
            arg(self, b, 3).as_int(),
            arg(self, b, 4).as_int(),
        );
        let (Some((slen, sty)), Some((dlen, dty))) = (self.array_len(src), self.array_len(dst))
        else {
            return Err(self.raise(
                self.wk.array_store,
                Some("arraycopy: source or destination is not an array"),
            ));
        };
        if sty != dty {
            return Err(self.raise(self.wk.array_store, Some("arraycopy: type mismatch")));
        }
        if sp < 0
            || dp < 0
            || n < 0
            || sp as usize + n as usize > slen
            || dp as usize + n as usize > dlen
        {
            let msg = format!(
                "arraycopy: last source index {} out of bounds for length {slen}",
                i64::from(sp) + i64::from(n)
            );
            return Err(self.raise(self.wk.aioobe, Some(&msg)));
        }
        let (sp, dp, n) = (sp as usize, dp as usize, n as usize);
        match sty {
            Some(p) => {
                let size = p.size();
                // SAFETY: both live primitive arrays of the same type, ranges
                // in bounds; copy handles overlap.
                unsafe {
                    std::ptr::copy(
                        src.byte_ptr(DATA + sp * size),
                        dst.byte_ptr(DATA + dp * size),
                        n * size,
                    );
                }
            }
            None => {
                let dclass = self.class_of(dst);
                let check = match self.cls.class(dclass).component {
                    Some(crate::class::Component::Class(c)) if c != self.wk.object => Some(c),
                    _ => None,
                };
                let order: Box<dyn Iterator<Item = usize>> = if src == dst && sp < dp {
                    Box::new((0..n).rev())
                } else {
                    Box::new(0..n)
                };
                for i in order {
                    // SAFETY: live reference arrays, indices in bounds.
                    let e = unsafe { src.read_word(ELEMS + (sp + i) * WORD) };
                    if let (Some(c), Some(o)) = (check, ObjRef::from_addr(e)) {
                        if !self.cls.assignable(self.class_of(o), c) {
                            return Err(self.raise(
                                self.wk.array_store,
                                Some("arraycopy: element type mismatch"),
                            ));
                        }
                    }
                    // SAFETY: as above; the store goes through the barrier.
                    unsafe { self.gc.put_elem(dst, dp + i, e) };
                }
            }
        }
        Ok(())
    }
}

fn system_methods() -> Vec<NativeMethod> {
    vec![
        (
            "nanoTime",
            "()J",
            ST,
            Some(|vm, _| Ok(Slot::long(vm.start.elapsed().as_nanos() as i64))),
        ),
        (
            "currentTimeMillis",
            "()J",
            ST,
            Some(|_, _| {
                let ms = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis());
                Ok(Slot::long(ms as i64))
            }),
        ),
        (
            "arraycopy",
            "(Ljava/lang/Object;ILjava/lang/Object;II)V",
            ST,
            Some(|vm, b| vm.arraycopy(b).map(|()| VOID)),
        ),
        ("gc", "()V", ST, Some(collect)),
        (
            "exit",
            "(I)V",
            ST,
            Some(|vm, b| {
                let _ = vm.out.flush();
                Err(Trap::Fatal(Error::Exit(arg(vm, b, 0).as_int())))
            }),
        ),
        (
            "identityHashCode",
            "(Ljava/lang/Object;)I",
            ST,
            Some(|vm, b| {
                Ok(Slot::int(
                    ObjRef::from_addr(ref_arg(vm, b, 0)?).map_or(0, |o| vm.identity_hash(o)),
                ))
            }),
        ),
    ]
}

fn collect(vm: &mut Vm, _: usize) -> Run<Slot> {
    vm.gc.m.collect().map_err(|e| Trap::Fatal(Error::Heap(e)))?;
    Ok(VOID)
}

fn runtime_methods() -> Vec<NativeMethod> {
    vec![
        (
            "getRuntime",
            "()Ljava/lang/Runtime;",
            ST,
            Some(|vm, _| {
                let r = vm.new_object(vm.wk.runtime)?;
                Ok(Slot::reference(r.addr()))
            }),
        ),
        (
            "totalMemory",
            "()J",
            PUBLIC,
            Some(|vm, _| Ok(Slot::long(vm.heap.stats().heap_size as i64))),
        ),
        (
            "maxMemory",
            "()J",
            PUBLIC,
            Some(|vm, _| Ok(Slot::long(vm.heap.stats().heap_size as i64))),
        ),
        (
            "freeMemory",
            "()J",
            PUBLIC,
            Some(|vm, _| {
                let s = vm.heap.stats();
                Ok(Slot::long(s.heap_size.saturating_sub(s.used) as i64))
            }),
        ),
        (
            "availableProcessors",
            "()I",
            PUBLIC,
            Some(|_, _| {
                Ok(Slot::int(
                    std::thread::available_parallelism().map_or(1, |n| n.get() as i32),
                ))
            }),
        ),
        ("gc", "()V", PUBLIC, Some(collect)),
    ]
}

/// Prints an uncaught exception as HotSpot does, to stderr.
pub(crate) fn print_uncaught(vm: &mut Vm) {
    let e = vm.thrown().addr();
    vm.roots.scratch.set(0, Slot::NULL);
    vm.roots.scratch.push(Slot::reference(e));
    let text = super::throwable::stack_trace_text(vm);
    vm.roots.scratch.pop();
    match text {
        Ok(t) => vm.write_fd(2, &format!("Exception in thread \"main\" {t}")),
        Err(_) => vm.write_fd(
            2,
            "Exception in thread \"main\" (printing its stack trace threw)\n",
        ),
    }
}

pub(super) fn classes() -> Vec<Builtin> {
    vec![
        Builtin {
            name: "java/lang/System",
            super_name: Some("java/lang/Object"),
            interfaces: &[],
            access: PUBLIC | FINAL,
            fields: &[],
            statics: &[
                ("out", "Ljava/io/PrintStream;"),
                ("err", "Ljava/io/PrintStream;"),
            ],
            methods: system_methods(),
        },
        Builtin {
            name: "java/io/PrintStream",
            super_name: Some("java/lang/Object"),
            interfaces: &[],
            access: PUBLIC,
            fields: &[("fd", "I")],
            statics: &[],
            methods: print_methods(),
        },
        Builtin {
            name: "java/lang/Runtime",
            super_name: Some("java/lang/Object"),
            interfaces: &[],
            access: PUBLIC,
            fields: &[],
            statics: &[],
            methods: runtime_methods(),
        },
    ]
}
