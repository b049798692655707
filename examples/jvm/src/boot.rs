//! Start-up and the public face: [`Options`], [`Jvm::new`] (the runtime's
//! classes and the heap), [`Jvm::run_main`]; and what follows a class's
//! loading and a method's first call: statics, literals, decoding.

use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;

use gc_core::{Heap, Mode, Stats, TypeTable};

use crate::class::{Body, ClassId, Init, Link, MethodId};
use crate::classfile::{ClassFile, Constant, access};
use crate::decode;
use crate::descriptor::Kind;
use crate::errors::{Error, LoadError};
use crate::gc::{Gc, Types};
use crate::loader::Classes;
use crate::roots::Slot;
use crate::runtime::{self, WellKnown};
use crate::vm::{Run, Trap, Vm};

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

/// A JVM over its own movegc heap, which loads the classes of its class
/// path as they are used. Not `Send`: the heap's mutator belongs to the
/// thread that built it.
pub struct Jvm {
    vm: Vm,
}

impl Jvm {
    /// Links the runtime's classes and builds the heap; the class path's
    /// classes are loaded as they are used. Output goes to `out` and `err`.
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
        }
        cls.class_path = options.class_path.clone();
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
        cls.heap = Some(heap.clone());
        let m = heap.attach().map_err(Error::Heap)?;
        let mut vm = Vm::new(Gc::new(m, types), heap, cls, wk, (out, err), options);
        vm.roots.scratch.push(Slot::NULL);
        let trap = |t: Trap| match t {
            Trap::Fatal(e) => e,
            Trap::Throw => Error::Internal("out of memory while starting".into()),
        };
        vm.prepare_loaded().map_err(trap)?;
        runtime::init_statics(&mut vm).map_err(trap)?;
        let oom = vm
            .make_throwable(vm.wk.oom, Some("Java heap space"))
            .map_err(trap)?;
        vm.oom = vm.roots.constants.len();
        vm.roots.constants.push(Slot::reference(oom.addr()));
        Ok(Jvm { vm })
    }

    /// Runs `main_class.main(String[])` with `args`. An uncaught exception
    /// has its stack trace printed (stderr) and gives [`Error::Uncaught`].
    pub fn run_main(&mut self, main_class: &str, args: &[String]) -> Result<(), Error> {
        let vm = &mut self.vm;
        let internal = main_class.replace('.', "/");
        let Some(class) = vm.cls.find(&internal)? else {
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
            vm.prepare_loaded()?;
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

impl Vm {
    /// Decodes `method` at its first call, and prepares the classes that
    /// decoding loaded. A native method of a class file is refused here:
    /// the runtime has no native libraries.
    pub(crate) fn decode_method(&mut self, method: MethodId) -> Run<()> {
        let m = self.cls.method(method);
        let (class, name, descriptor) = (m.class, m.name.clone(), m.descriptor.clone());
        let fail = |cls: &Classes, reason: String| {
            Trap::Fatal(Error::Load(LoadError {
                class: cls.class(class).name.clone(),
                method: Some(format!("{name}{descriptor}")),
                reason,
            }))
        };
        let Some(file) = self.cls.classes[class.0 as usize].file.take() else {
            return Err(fail(&self.cls, "the method has no class file".into()));
        };
        let index = file
            .methods
            .iter()
            .position(|f| f.name == name && f.descriptor == descriptor);
        let code = match index {
            None => Err("the method is not in its class file".to_owned()),
            Some(k) if file.methods[k].access & access::NATIVE != 0 => {
                Err("native methods are not supported (the runtime has no native libraries)".into())
            }
            Some(k) => decode::method(&mut self.cls, &mut self.literals, &file, k),
        };
        self.cls.classes[class.0 as usize].file = Some(file);
        let code = code.map_err(|reason| fail(&self.cls, reason))?;
        self.prepare_loaded()?;
        self.cls.methods[method.0 as usize].body = Body::Code(Rc::new(code));
        Ok(())
    }

    /// Gives the classes loaded since the last call their statics (zero of
    /// their kind, then their compile-time constants) and their place in
    /// initialisation, and allocates the string literals decoded since.
    pub(crate) fn prepare_loaded(&mut self) -> Run<()> {
        while self.roots.literals.len() < self.literals.texts.len() {
            let text = self.literals.texts[self.roots.literals.len()].clone();
            let s = self.new_string(&text)?;
            self.roots.literals.push(Slot::reference(s.addr()));
        }
        self.roots.statics.resize(self.cls.statics);
        while self.init.len() < self.cls.classes.len() {
            let id = ClassId(self.init.len() as u32);
            self.init_statics(id)?;
            // It needs initialising if it or a superclass has an initialiser.
            let mut needs = Init::Done;
            let mut c = Some(id);
            while let Some(k) = c {
                if self.cls.class(k).clinit.is_some() {
                    needs = Init::Pending;
                }
                c = self.cls.class(k).super_class;
            }
            self.init.push(needs);
        }
        Ok(())
    }

    /// Sets a new class's statics to zero, then to their constant values
    /// (none for a class that failed to link: its statics have no slots).
    fn init_statics(&mut self, id: ClassId) -> Run<()> {
        let class = id.0 as usize;
        if self.cls.classes[class].linked != Link::Done {
            return Ok(());
        }
        for f in self.cls.classes[class]
            .fields
            .iter()
            .filter(|f| f.is_static)
        {
            let zero = if f.kind == Kind::Ref {
                Slot::NULL
            } else {
                Slot::int(0)
            };
            self.roots.statics.set(f.at, zero);
        }
        let Some(file) = self.cls.classes[class].file.take() else {
            return Ok(());
        };
        let r = self.constant_values(id, &file);
        self.cls.classes[class].file = Some(file);
        r
    }

    fn constant_values(&mut self, id: ClassId, file: &ClassFile) -> Run<()> {
        let bad = |reason: String| {
            Trap::Fatal(Error::Load(LoadError {
                class: file.name.clone(),
                method: None,
                reason,
            }))
        };
        for f in file.fields.iter().filter(|f| f.constant.is_some()) {
            let field = self.cls.classes[id.0 as usize]
                .fields
                .iter()
                .find(|g| g.name == f.name && g.is_static);
            let Some(field) = field else {
                continue;
            };
            let (at, kind) = (field.at, field.kind);
            let value = match (file.pool.get(f.constant.unwrap_or(0)), kind) {
                (Ok(Constant::Integer(v)), _) => Slot::int(*v),
                (Ok(Constant::Float(v)), _) => Slot::float(*v),
                (Ok(Constant::Long(v)), _) => Slot::long(*v),
                (Ok(Constant::Double(v)), _) => Slot::double(*v),
                (Ok(Constant::String(s)), Kind::Ref) => {
                    let text = file.pool.utf8(*s).map_err(bad)?;
                    Slot::reference(self.new_string(text)?.addr())
                }
                _ => {
                    let why = format!("field {} has a constant value of the wrong type", f.name);
                    return Err(bad(why));
                }
            };
            self.roots.statics.set(at, value);
        }
        Ok(())
    }
}
