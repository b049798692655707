//! Classes and methods as the interpreter sees them once linked: field
//! offsets, virtual tables, the supertypes for `instanceof`, and each
//! method's body (decoded bytecode, a native function of the runtime, or
//! none).

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use gc_core::TypeId;

use crate::classfile::ClassFile;
use crate::code::Code;
use crate::descriptor::{Kind, MethodType};
use crate::gc::Prim;
use crate::runtime::Native;

/// An index into the class table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ClassId(pub(crate) u32);

/// An index into the method table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct MethodId(pub(crate) u32);

/// A method's name and descriptor, interned: what overriding matches on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SigId(pub(crate) u32);

/// Where a class is in its static initialisation (JVMS 5.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Init {
    Pending,
    /// `<clinit>` is running: on this thread, so uses see the class as ready.
    Running,
    Done,
}

/// A field of a class.
#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    /// An instance field's byte offset, or a static field's index in the
    /// statics.
    pub(crate) at: usize,
    pub(crate) is_static: bool,
    /// A reference field the collector clears rather than follows.
    pub(crate) weak: bool,
}

/// What an array's elements are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Component {
    Prim(Prim),
    Class(ClassId),
}

/// A loaded class, interface or array class.
pub(crate) struct Class {
    /// The internal name: `pkg/Name`, `[I`, `[Ljava/lang/String;`.
    pub(crate) name: String,
    /// The superclass and interfaces by name, until linked.
    pub(crate) super_name: Option<String>,
    pub(crate) interface_names: Vec<String>,
    pub(crate) super_class: Option<ClassId>,
    pub(crate) interfaces: Vec<ClassId>,
    pub(crate) access: u16,
    /// Every class and interface this one is assignable to, itself included.
    pub(crate) supers: HashSet<ClassId>,
    /// An instance's size in bytes, header included.
    pub(crate) size: usize,
    /// Byte offsets of an instance's reference fields.
    pub(crate) ref_offsets: Vec<u32>,
    /// Byte offsets of its weak reference fields (a `WeakReference`'s referent).
    pub(crate) weak_offsets: Vec<u32>,
    /// The fields this class declares.
    pub(crate) fields: Vec<Field>,
    /// The methods this class declares, by signature.
    pub(crate) methods: HashMap<SigId, MethodId>,
    pub(crate) vtable: Vec<MethodId>,
    /// Each virtual method's index in `vtable`, by signature.
    pub(crate) vslots: HashMap<SigId, usize>,
    /// The movegc type of an instance (none for interfaces and arrays).
    pub(crate) type_id: Option<TypeId>,
    /// An array class's element type.
    pub(crate) component: Option<Component>,
    pub(crate) clinit: Option<MethodId>,
    pub(crate) source_file: Option<String>,
    /// The parsed file, kept for decoding its methods at their first calls.
    pub(crate) file: Option<ClassFile>,
    pub(crate) linked: Link,
    /// A class of the runtime library, whose fields are its own.
    pub(crate) runtime: bool,
}

/// How far linking has got with a class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Link {
    No,
    /// Its supertypes are being linked: meeting it again is a cycle.
    Busy,
    Done,
}

impl Class {
    /// A class with nothing linked yet.
    pub(crate) fn new(name: &str, access: u16) -> Class {
        Class {
            name: name.to_owned(),
            super_name: None,
            interface_names: Vec::new(),
            super_class: None,
            interfaces: Vec::new(),
            access,
            supers: HashSet::new(),
            size: gc_core::WORD,
            ref_offsets: Vec::new(),
            weak_offsets: Vec::new(),
            fields: Vec::new(),
            methods: HashMap::new(),
            vtable: Vec::new(),
            vslots: HashMap::new(),
            type_id: None,
            component: None,
            clinit: None,
            source_file: None,
            file: None,
            linked: Link::No,
            runtime: false,
        }
    }

    /// Whether it is an interface.
    pub(crate) fn is_interface(&self) -> bool {
        self.access & crate::classfile::access::INTERFACE != 0
    }

    /// The name as Java prints it: `java.lang.String`.
    pub(crate) fn java_name(&self) -> String {
        self.name.replace('/', ".")
    }
}

/// What runs when a method is called.
#[derive(Clone)]
pub(crate) enum Body {
    Code(Rc<Code>),
    Native(Native),
    /// In the class file, to be decoded at its first call (a native one is
    /// refused then).
    Lazy,
    /// Abstract.
    None,
}

/// A method of a class.
pub(crate) struct Method {
    pub(crate) class: ClassId,
    pub(crate) name: String,
    pub(crate) descriptor: String,
    pub(crate) access: u16,
    pub(crate) sig: SigId,
    pub(crate) ty: MethodType,
    /// Stack slots the arguments take, the receiver included.
    pub(crate) arg_slots: usize,
    pub(crate) body: Body,
}

impl Method {
    /// Whether it is static.
    pub(crate) fn is_static(&self) -> bool {
        self.access & crate::classfile::access::STATIC != 0
    }
}
