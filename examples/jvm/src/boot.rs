//! Start-up and the public face: [`Options`], [`Jvm::new`] (load, link,
//! build the heap, decode), [`Jvm::run_main`].

use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;

use gc_core::{Heap, Mode, Stats, TypeTable};

use crate::class::{Body, ClassId, Init};
use crate::decode::{self, Literals};
use crate::descriptor::Kind;
use crate::errors::{Error, LoadError};
use crate::gc::{Gc, Types};
use crate::loader::Classes;
use crate::roots::Slot;
use crate::runtime::{self, WellKnown};
use crate::vm::{Trap, Vm};

/// How to build a JVM.
#[derive(Clone, Debug)]
pub struct Options {
    /// Directories of `.class` files (`-cp`).
    pub class_path: Vec<PathBuf>,
    /// The heap's size in bytes.
    pub heap_size: usize,
    /// The collector's mode.
    pub mode: Mode,
    /// Check the whole heap before and after every collection (slow).
    pub verify: bool,
    /// Threads that mark in parallel in pauses (`None`: the default).
    pub gc_threads: Option<usize>,
    /// Collect before every this many allocations: a stress test of the
    /// interpreter's roots (slow; `None`: never).
    pub gc_stress: Option<u32>,
    /// Stop the run with [`Error::OutOfFuel`] after this many back-branches
    /// and calls (for running generated or mutated programs, which may loop).
    pub fuel: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            class_path: vec![PathBuf::from(".")],
            heap_size: 256 << 20,
            mode: Mode::Auto,
            verify: false,
            gc_threads: None,
            gc_stress: None,
            fuel: None,
        }
    }
}

/// A JVM over its own movegc heap, with every class of its class path
/// loaded. Not `Send`: the heap's mutator belongs to the thread that built it.
pub struct Jvm {
    vm: Vm,
}

impl Jvm {
    /// Loads and links the class path and the runtime, builds the heap,
    /// and decodes every method. Output goes to `out` and `err`.
    pub fn new(options: &Options, out: Box<dyn Write>, err: Box<dyn Write>) -> Result<Jvm, Error> {
        let mut cls = Classes::default();
        for b in runtime::classes() {
            cls.define(b)?;
        }
        for dir in &options.class_path {
            if !dir.is_dir() {
                return Err(Error::Usage(format!(
                    "class path entry {} is not a directory",
                    dir.display()
                )));
            }
            cls.load_class_path(dir)?;
        }
        let table = TypeTable::new();
        let types = Types::register(&table).map_err(|e| Error::Internal(e.to_string()))?;
        cls.link_all(&table)?;
        let wk = WellKnown::find(&mut cls)?;
        // Strings and primitive arrays have a class per movegc type too.
        for (ty, class) in std::iter::once((types.string, wk.string))
            .chain(types.prim.iter().copied().zip(wk.prim_arrays))
        {
            cls.class_of_type[ty.0 as usize] = class;
        }
        let mut builder = Heap::builder();
        if let Some(n) = options.gc_threads {
            builder = builder.gc_threads(n);
        }
        let heap = builder
            .size(options.heap_size)
            .mode(options.mode)
            .verify(options.verify)
            .types(table)
            .build()
            .map_err(Error::Heap)?;
        let m = heap.attach().map_err(Error::Heap)?;
        let mut vm = Vm::new(Gc::new(m, types), heap, cls, wk, (out, err), options);
        vm.roots.scratch.push(Slot::NULL);
        decode_all(&mut vm)?;
        Ok(Jvm { vm })
    }

    /// Runs `main_class.main(String[])` with `args`. An uncaught exception
    /// has its stack trace printed (stderr) and gives [`Error::Uncaught`].
    pub fn run_main(&mut self, main_class: &str, args: &[String]) -> Result<(), Error> {
        let vm = &mut self.vm;
        let internal = main_class.replace('.', "/");
        let Some(&class) = vm.cls.by_name.get(&internal) else {
            return Err(Error::Usage(format!(
                "could not find or load main class {main_class}"
            )));
        };
        let sig = vm.cls.find_sig("main", "([Ljava/lang/String;)V");
        let main = sig.and_then(|s| vm.cls.class(class).methods.get(&s).copied());
        let Some(main) = main.filter(|&m| vm.cls.method(m).is_static()) else {
            return Err(Error::Usage(format!(
                "main method not found in class {main_class}: define it as public static void main(String[] args)"
            )));
        };
        let r = (|| {
            let string_array = vm
                .cls
                .lookup("[Ljava/lang/String;")
                .map_err(Error::Internal)?;
            let arr = vm.new_array(string_array, args.len())?;
            vm.roots.scratch.push(Slot::reference(arr.addr()));
            for (i, a) in args.iter().enumerate() {
                let s = vm.new_string(a)?;
                let top = vm.roots.scratch.len() - 1;
                let arr = vm.roots.scratch.get(top).addr();
                // SAFETY: the array is rooted and live, i in bounds, s live.
                unsafe {
                    vm.gc
                        .put_elem(gc_core::ObjRef::from_addr_unchecked(arr), i, s.addr())
                };
            }
            let arr = vm.roots.scratch.pop();
            vm.initialize(class)?;
            vm.call(main, &[arr])?;
            Ok::<(), Trap>(())
        })();
        let _ = vm.out.flush();
        match r {
            Ok(()) => Ok(()),
            Err(Trap::Throw) => {
                runtime::print_uncaught(vm);
                Err(Error::Uncaught)
            }
            Err(Trap::Fatal(e)) => Err(e),
        }
    }

    /// The collector's statistics so far.
    pub fn stats(&self) -> Stats {
        self.vm.heap.stats()
    }

    /// The heap.
    pub fn heap(&self) -> &Heap {
        &self.vm.heap
    }

    /// Flushes standard output.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.vm.out.flush()
    }
}

/// Decodes every method, allocates the string literals, gives statics
/// their initial values, and creates the objects the VM keeps.
fn decode_all(vm: &mut Vm) -> Result<(), Error> {
    let mut literals = Literals::default();
    for i in 0..vm.cls.classes.len() {
        let Some(file) = vm.cls.classes[i].file.take() else {
            continue;
        };
        let class = ClassId(i as u32);
        for (k, m) in file.methods.iter().enumerate() {
            if m.code.is_none() {
                continue;
            }
            let sig = vm.cls.find_sig(&m.name, &m.descriptor);
            let mid = sig.and_then(|s| vm.cls.class(class).methods.get(&s).copied());
            let Some(mid) = mid else { continue };
            let code = decode::method(&mut vm.cls, &mut literals, &file, k).map_err(|reason| {
                LoadError {
                    class: file.name.clone(),
                    method: Some(format!("{}{}", m.name, m.descriptor)),
                    reason,
                }
            })?;
            vm.cls.methods[mid.0 as usize].body = Body::Code(Rc::new(code));
        }
        vm.cls.classes[i].file = Some(file);
    }
    // Statics: zero of their kind, then compile-time constants.
    vm.roots.statics.resize(vm.cls.statics);
    for c in &vm.cls.classes {
        for f in c.fields.iter().filter(|f| f.is_static) {
            let zero = if f.kind == Kind::Ref {
                Slot::NULL
            } else {
                Slot::int(0)
            };
            vm.roots.statics.set(f.at, zero);
        }
    }
    let trap = |t: Trap| match t {
        Trap::Fatal(e) => e,
        Trap::Throw => Error::Internal("out of memory while starting".into()),
    };
    for text in &literals.texts {
        let s = vm.new_string(text).map_err(trap)?;
        vm.roots.constants.push(Slot::reference(s.addr()));
    }
    for i in 0..vm.cls.classes.len() {
        let Some(file) = vm.cls.classes[i].file.take() else {
            continue;
        };
        for f in file.fields.iter().filter(|f| f.constant.is_some()) {
            let Some(field) = vm.cls.classes[i]
                .fields
                .iter()
                .find(|g| g.name == f.name && g.is_static)
            else {
                continue;
            };
            let at = field.at;
            let value = match (file.pool.get(f.constant.unwrap_or(0)), field.kind) {
                (Ok(crate::classfile::Constant::Integer(v)), _) => Slot::int(*v),
                (Ok(crate::classfile::Constant::Float(v)), _) => Slot::float(*v),
                (Ok(crate::classfile::Constant::Long(v)), _) => Slot::long(*v),
                (Ok(crate::classfile::Constant::Double(v)), _) => Slot::double(*v),
                (Ok(crate::classfile::Constant::String(s)), Kind::Ref) => {
                    let text = file.pool.utf8(*s).map_err(|reason| LoadError {
                        class: file.name.clone(),
                        method: None,
                        reason,
                    })?;
                    Slot::reference(vm.new_string(text).map_err(trap)?.addr())
                }
                _ => {
                    return Err(Error::Load(LoadError {
                        class: file.name.clone(),
                        method: None,
                        reason: format!("field {} has a constant value of the wrong type", f.name),
                    }));
                }
            };
            vm.roots.statics.set(at, value);
        }
    }
    // A class needs initialising if it or a superclass has an initialiser.
    let needs = |mut c: Option<ClassId>| {
        while let Some(id) = c {
            if vm.cls.class(id).clinit.is_some() {
                return Init::Pending;
            }
            c = vm.cls.class(id).super_class;
        }
        Init::Done
    };
    vm.init = (0..vm.cls.classes.len())
        .map(|i| needs(Some(ClassId(i as u32))))
        .collect();
    runtime::init_statics(vm).map_err(trap)?;
    let oom = vm
        .make_throwable(vm.wk.oom, Some("Java heap space"))
        .map_err(trap)?;
    vm.oom = vm.roots.constants.len();
    vm.roots.constants.push(Slot::reference(oom.addr()));
    Ok(())
}
