//! Loading and linking: a class becomes a [`Class`] with its fields laid
//! out, its virtual table built and its movegc type registered when it is
//! first asked for, as on a JVM: the runtime's classes at start-up, a class
//! of the class path when a method that refers to it is decoded (its first
//! call), or when it is `main`'s. Its supertypes are loaded with it; its
//! methods are decoded at their first call, and its static initialiser runs
//! at its first active use. So a class that is never used is never read,
//! and one the runtime cannot run fails only when it is used.
//!
//! Classes loaded after the heap is built register their types with
//! [`Heap::register_type`], which takes types while the heap runs.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use gc_core::{Heap, SlotKind, TypeDescriptor, TypeId, TypeTable, WORD};

use crate::class::{Body, Class, ClassId, Component, Field, Link, Method, MethodId, SigId};
use crate::classfile::{self, ClassFile, access};
use crate::descriptor::{self, Kind};
use crate::errors::LoadError;
use crate::gc::Prim;
use crate::runtime::Native;

/// A method of a runtime class: name, descriptor, access flags, and its
/// native implementation (`None` for an abstract method).
pub(crate) type NativeMethod = (&'static str, &'static str, u16, Option<Native>);

/// A class of the runtime library, written in Rust.
pub(crate) struct Builtin {
    pub(crate) name: &'static str,
    pub(crate) super_name: Option<&'static str>,
    pub(crate) interfaces: &'static [&'static str],
    pub(crate) access: u16,
    /// Instance fields (name, descriptor), and static ones.
    pub(crate) fields: &'static [(&'static str, &'static str)],
    pub(crate) statics: &'static [(&'static str, &'static str)],
    pub(crate) methods: Vec<NativeMethod>,
}

/// The class table as the loader builds it; the VM takes it over.
#[derive(Default)]
pub(crate) struct Classes {
    pub(crate) classes: Vec<Class>,
    pub(crate) by_name: HashMap<String, ClassId>,
    pub(crate) methods: Vec<Method>,
    sigs: HashMap<(String, String), SigId>,
    /// Static fields so far: each has a slot in the statics.
    pub(crate) statics: usize,
    /// Class ids of the movegc types, by type id.
    pub(crate) class_of_type: Vec<ClassId>,
    array_classes: HashMap<Component, ClassId>,
    /// Where classes are looked for (`-cp`).
    pub(crate) class_path: Vec<PathBuf>,
    /// The heap, once built: classes loaded from then on register their
    /// types with it.
    pub(crate) heap: Option<Heap>,
}

/// Reference fields of the runtime that do not keep their object alive: the
/// collector clears them (`SlotKind::Weak`) when nothing else holds it.
const WEAK_FIELDS: &[(&str, &str)] = &[("java/lang/ref/Reference", "referent")];

fn err(class: &str, method: Option<&str>, reason: impl Into<String>) -> LoadError {
    LoadError {
        class: class.to_owned(),
        method: method.map(str::to_owned),
        reason: reason.into(),
    }
}

impl Classes {
    /// The interned signature of a name and descriptor.
    pub(crate) fn sig(&mut self, name: &str, descriptor: &str) -> SigId {
        let next = SigId(self.sigs.len() as u32);
        *self
            .sigs
            .entry((name.to_owned(), descriptor.to_owned()))
            .or_insert(next)
    }

    /// A signature if it was ever interned (else no class has the method).
    pub(crate) fn find_sig(&self, name: &str, descriptor: &str) -> Option<SigId> {
        self.sigs
            .get(&(name.to_owned(), descriptor.to_owned()))
            .copied()
    }

    pub(crate) fn class(&self, id: ClassId) -> &Class {
        &self.classes[id.0 as usize]
    }

    pub(crate) fn method(&self, id: MethodId) -> &Method {
        &self.methods[id.0 as usize]
    }

    fn add(&mut self, class: Class) -> Result<ClassId, LoadError> {
        let id = ClassId(self.classes.len() as u32);
        if self.by_name.insert(class.name.clone(), id).is_some() {
            return Err(err(&class.name, None, "the class is defined twice"));
        }
        self.classes.push(class);
        Ok(id)
    }

    /// Adds a runtime class.
    pub(crate) fn define(&mut self, b: Builtin) -> Result<ClassId, LoadError> {
        let id = ClassId(self.classes.len() as u32);
        let mut class = Class::new(b.name, b.access);
        let fields = b.fields.iter().map(|f| (false, f));
        for (is_static, &(name, desc)) in fields.chain(b.statics.iter().map(|f| (true, f))) {
            let kind = descriptor::field(desc)
                .ok_or_else(|| err(b.name, None, format!("bad descriptor {desc}")))?;
            class.fields.push(Field {
                name: name.to_owned(),
                kind,
                at: 0,
                is_static,
                weak: WEAK_FIELDS.contains(&(b.name, name)),
            });
        }
        for (name, desc, access, native) in b.methods {
            let body = native.map_or(Body::None, Body::Native);
            let m = self.new_method(id, b.name, name, desc, access, body)?;
            class.methods.insert(self.method(m).sig, m);
        }
        class.runtime = true;
        class.super_name = b.super_name.map(str::to_owned);
        class.interface_names = b.interfaces.iter().map(|s| (*s).to_owned()).collect();
        self.add(class)
    }

    fn new_method(
        &mut self,
        class: ClassId,
        class_name: &str,
        name: &str,
        desc: &str,
        access: u16,
        body: Body,
    ) -> Result<MethodId, LoadError> {
        let ty = descriptor::method(desc).ok_or_else(|| {
            err(
                class_name,
                Some(name),
                format!("bad method descriptor {desc}"),
            )
        })?;
        let receiver = usize::from(access & access::STATIC == 0);
        let sig = self.sig(name, desc);
        let id = MethodId(self.methods.len() as u32);
        self.methods.push(Method {
            class,
            name: name.to_owned(),
            descriptor: desc.to_owned(),
            access,
            sig,
            arg_slots: ty.param_slots() + receiver,
            ty,
            body,
        });
        Ok(id)
    }

    /// Adds a class read from a file, not yet linked.
    pub(crate) fn load(&mut self, file: ClassFile) -> Result<ClassId, LoadError> {
        let id = ClassId(self.classes.len() as u32);
        let mut class = Class::new(&file.name, file.access);
        for f in &file.fields {
            let kind = descriptor::field(&f.descriptor).ok_or_else(|| {
                let why = format!("field {} has bad descriptor {:?}", f.name, f.descriptor);
                err(&file.name, None, why)
            })?;
            class.fields.push(Field {
                name: f.name.clone(),
                kind,
                at: 0,
                is_static: f.access & access::STATIC != 0,
                weak: false,
            });
        }
        for m in &file.methods {
            let no_code = m.access & (access::ABSTRACT | access::NATIVE) != 0;
            if m.code.is_none() != no_code {
                let why = if no_code {
                    "an abstract method has code"
                } else {
                    "a concrete method has no code"
                };
                return Err(err(&file.name, Some(&m.name), why));
            }
            // A native method is refused at its first call, as a JVM
            // fails to link one only then.
            let body = if m.access & access::ABSTRACT != 0 {
                Body::None
            } else {
                Body::Lazy
            };
            let mid = self.new_method(id, &file.name, &m.name, &m.descriptor, m.access, body)?;
            if m.name == "<clinit>" {
                class.clinit = Some(mid);
            }
            class.methods.insert(self.method(mid).sig, mid);
        }
        class.source_file = file.source_file.clone();
        class.super_name = file.super_name.clone();
        class.interface_names = file.interfaces.clone();
        class.file = Some(file);
        self.add(class)
    }

    /// Loads, links and registers class `name` from the class path: `None`
    /// if no entry has it. As on a JVM's class path, class `a/b/C` is the
    /// file `a/b/C.class` of the first entry that has one.
    fn load_named(&mut self, name: &str) -> Result<Option<ClassId>, LoadError> {
        // A name from a class file must not walk out of the class path.
        let plain = |p: &str| !p.is_empty() && p != "." && p != ".." && !p.contains('\\');
        if !name.split('/').all(plain) {
            return Ok(None);
        }
        let Some(path) = self
            .class_path
            .iter()
            .map(|dir| dir.join(format!("{name}.class")))
            .find(|p| p.is_file())
        else {
            return Ok(None);
        };
        let shown = path.display().to_string();
        let bytes =
            std::fs::read(&path).map_err(|e| err(&shown, None, format!("cannot read: {e}")))?;
        let file = classfile::parse(&bytes, &shown)?;
        if file.name != name {
            let why = format!("{shown} holds class {} (wrong name)", file.name);
            return Err(err(name, None, why));
        }
        let id = self.load(file)?;
        if let Err(e) = self.link(id) {
            // It stays unlinked in the table, where no one finds it: the
            // next use tries again, and fails the same way.
            self.by_name.remove(name);
            return Err(e);
        }
        let heap = self.heap.clone();
        if let Some(heap) = heap {
            self.register(id, |d| heap.register_type(d).map_err(|e| e.to_string()))?;
        }
        Ok(Some(id))
    }

    /// The class `name`, loaded if need be: `None` if it is nowhere.
    pub(crate) fn find(&mut self, name: &str) -> Result<Option<ClassId>, LoadError> {
        match self.by_name.get(name) {
            Some(&id) => Ok(Some(id)),
            None => self.load_named(name),
        }
    }

    /// The class named `name` (an internal name, or an array descriptor),
    /// creating array classes as they are asked for.
    /// Loading one from the class path, or failing to, is an error here.
    pub(crate) fn lookup(&mut self, name: &str) -> Result<ClassId, String> {
        if let Some(&id) = self.by_name.get(name) {
            return Ok(id);
        }
        let Some(elem) = name.strip_prefix('[') else {
            return match self.load_named(name) {
                Ok(Some(id)) => Ok(id),
                Ok(None) => Err(format!(
                    "class {name} not found (the runtime library has only part of java.lang)"
                )),
                Err(e) => Err(format!("cannot load class {e}")),
            };
        };
        let component = match elem.as_bytes().first() {
            Some(b'L') if elem.ends_with(';') && elem.len() > 2 => {
                Component::Class(self.lookup(&elem[1..elem.len() - 1])?)
            }
            Some(b'[') => Component::Class(self.lookup(elem)?),
            Some(&c) if elem.len() == 1 => {
                Component::Prim(Prim::of(c).ok_or_else(|| format!("bad array type {name}"))?)
            }
            _ => return Err(format!("bad array type {name}")),
        };
        Ok(self.array_class(component))
    }

    /// The class of arrays of `component`.
    pub(crate) fn array_class(&mut self, component: Component) -> ClassId {
        if let Some(&id) = self.array_classes.get(&component) {
            return id;
        }
        let name = match component {
            Component::Prim(p) => p.array_name().to_owned(),
            Component::Class(c) => {
                let n = &self.class(c).name;
                if n.starts_with('[') {
                    format!("[{n}")
                } else {
                    format!("[L{n};")
                }
            }
        };
        let object = self.by_name["java/lang/Object"];
        let mut class = Class::new(&name, access::FINAL);
        class.super_class = Some(object);
        class.vtable = self.class(object).vtable.clone();
        class.vslots = self.class(object).vslots.clone();
        class.component = Some(component);
        class.linked = Link::Done;
        let id = ClassId(self.classes.len() as u32);
        class.supers = [id, object].into_iter().collect();
        self.by_name.insert(name, id);
        self.classes.push(class);
        self.array_classes.insert(component, id);
        id
    }

    /// Whether an object of class `s` is an instance of `t`.
    pub(crate) fn assignable(&self, s: ClassId, t: ClassId) -> bool {
        if s == t || self.class(s).supers.contains(&t) {
            return true;
        }
        match (self.class(s).component, self.class(t).component) {
            (Some(Component::Class(a)), Some(Component::Class(b))) => self.assignable(a, b),
            _ => false,
        }
    }

    /// Links every class so far (the runtime's) and registers their types
    /// in `table`, before the heap is built.
    pub(crate) fn link_all(&mut self, table: &TypeTable) -> Result<(), LoadError> {
        for i in 0..self.classes.len() {
            self.link(ClassId(i as u32))?;
        }
        for i in 0..self.classes.len() {
            self.register(ClassId(i as u32), |d| {
                table.register(d).map_err(|e| e.to_string())
            })?;
        }
        Ok(())
    }

    /// Registers the movegc type of a linked class that can have instances.
    fn register(
        &mut self,
        id: ClassId,
        register: impl FnOnce(TypeDescriptor) -> Result<TypeId, String>,
    ) -> Result<(), LoadError> {
        let c = &mut self.classes[id.0 as usize];
        if c.is_interface() || c.component.is_some() || c.name == "java/lang/String" {
            return Ok(());
        }
        let desc = if c.weak_offsets.is_empty() {
            TypeDescriptor::fixed(&c.name, c.size, &c.ref_offsets, &[])
        } else {
            let slots: Vec<(u32, SlotKind)> = c
                .ref_offsets
                .iter()
                .map(|&o| (o, SlotKind::Ref))
                .chain(c.weak_offsets.iter().map(|&o| (o, SlotKind::Weak)))
                .collect();
            TypeDescriptor::fixed_slots(&c.name, c.size, &slots)
        };
        let ty = register(desc).map_err(|e| err(&c.name, None, e))?;
        c.type_id = Some(ty);
        let need = ty.0 as usize + 1;
        if self.class_of_type.len() < need {
            self.class_of_type.resize(need, ClassId(0));
        }
        self.class_of_type[ty.0 as usize] = id;
        Ok(())
    }

    fn link(&mut self, id: ClassId) -> Result<(), LoadError> {
        let c = &mut self.classes[id.0 as usize];
        match c.linked {
            Link::Done => return Ok(()),
            Link::Busy => return Err(err(&c.name, None, "the class is its own supertype")),
            Link::No => c.linked = Link::Busy,
        }
        let name = c.name.clone();
        let super_name = c.super_name.clone();
        let interface_names = c.interface_names.clone();
        let resolve = |me: &mut Self, n: &str| -> Result<ClassId, LoadError> {
            let s = me.find(n)?.ok_or_else(|| {
                err(
                    &name,
                    None,
                    format!("supertype {n} not found on the class path"),
                )
            })?;
            me.link(s)?;
            Ok(s)
        };
        let super_class = match &super_name {
            Some(n) => Some(resolve(self, n)?),
            None if name == "java/lang/Object" => None,
            None => return Err(err(&name, None, "only java/lang/Object has no superclass")),
        };
        let mut interfaces = Vec::new();
        for n in &interface_names {
            let i = resolve(self, n)?;
            if !self.class(i).is_interface() {
                return Err(err(&name, None, format!("{n} is not an interface")));
            }
            interfaces.push(i);
        }
        let mut supers: HashSet<ClassId> = [id].into_iter().collect();
        let (mut size, mut refs, mut weak, mut vtable, mut vslots) =
            (WORD, Vec::new(), Vec::new(), Vec::new(), HashMap::new());
        if let Some(s) = super_class {
            let sc = self.class(s);
            if sc.is_interface() || sc.access & access::FINAL != 0 && sc.name != name {
                let why = format!("cannot extend {}, which is an interface or final", sc.name);
                return Err(err(&name, None, why));
            }
            supers.extend(sc.supers.iter().copied());
            size = sc.size;
            refs = sc.ref_offsets.clone();
            weak = sc.weak_offsets.clone();
            vtable = sc.vtable.clone();
            vslots = sc.vslots.clone();
        }
        for &i in &interfaces {
            supers.extend(self.class(i).supers.iter().copied());
        }
        // Fields: the superclass's first, then references, then the rest.
        let mut fields = std::mem::take(&mut self.classes[id.0 as usize].fields);
        for f in fields
            .iter_mut()
            .filter(|f| !f.is_static && f.kind == Kind::Ref)
        {
            f.at = size;
            if f.weak {
                weak.push(size as u32);
            } else {
                refs.push(size as u32);
            }
            size += WORD;
        }
        for f in fields
            .iter_mut()
            .filter(|f| !f.is_static && f.kind != Kind::Ref)
        {
            f.at = size;
            size += WORD;
        }
        for f in fields.iter_mut().filter(|f| f.is_static) {
            f.at = self.statics;
            self.statics += 1;
        }
        // The virtual table: the superclass's, overridden or extended by
        // this class's methods, then every interface method not yet there
        // (a default method, or an abstract one that a subclass will fill).
        let is_interface = self.class(id).is_interface();
        let mut own: Vec<MethodId> = self.class(id).methods.values().copied().collect();
        own.sort_by_key(|m| m.0);
        let virtual_ = |m: &Method| {
            m.access & (access::STATIC | access::PRIVATE) == 0 && !m.name.starts_with('<')
        };
        if !is_interface {
            for m in own {
                let method = self.method(m);
                if !virtual_(method) {
                    continue;
                }
                match vslots.get(&method.sig) {
                    Some(&slot) => vtable[slot] = m,
                    None => {
                        vslots.insert(method.sig, vtable.len());
                        vtable.push(m);
                    }
                }
            }
            let mut ifaces: Vec<ClassId> = supers
                .iter()
                .copied()
                .filter(|&s| self.class(s).is_interface())
                .collect();
            ifaces.sort();
            for i in ifaces {
                let mut ms: Vec<MethodId> = self.class(i).methods.values().copied().collect();
                ms.sort_by_key(|m| m.0);
                for m in ms {
                    let method = self.method(m);
                    if !virtual_(method) {
                        continue;
                    }
                    let concrete =
                        !matches!(method.body, Body::None) || method.access & access::ABSTRACT == 0;
                    match vslots.get(&method.sig) {
                        None => {
                            vslots.insert(method.sig, vtable.len());
                            vtable.push(m);
                        }
                        Some(&slot) => {
                            // A class's own method stays; among interfaces'
                            // the more specific one wins, and a default
                            // beats an abstract one.
                            let current = self.method(vtable[slot]);
                            let from = self.class(current.class);
                            let more_specific = self.class(i).supers.contains(&current.class);
                            let current_abstract = current.access & access::ABSTRACT != 0;
                            if from.is_interface()
                                && (more_specific || current_abstract && concrete)
                            {
                                vtable[slot] = m;
                            }
                        }
                    }
                }
            }
        }
        let c = &mut self.classes[id.0 as usize];
        c.fields = fields;
        c.super_class = super_class;
        c.interfaces = interfaces;
        c.supers = supers;
        c.size = size;
        c.ref_offsets = refs;
        c.weak_offsets = weak;
        c.vtable = vtable;
        c.vslots = vslots;
        c.linked = Link::Done;
        Ok(())
    }

    /// Finds a method by name and descriptor in `class`, its superclasses,
    /// then its interfaces (JVMS 5.4.3.3), preferring one with a body.
    pub(crate) fn resolve_method(&self, class: ClassId, sig: SigId) -> Option<MethodId> {
        let mut c = Some(class);
        while let Some(id) = c {
            if let Some(&m) = self.class(id).methods.get(&sig) {
                return Some(m);
            }
            c = self.class(id).super_class;
        }
        // The virtual table holds the maximally specific default method.
        let cl = self.class(class);
        if let Some(&slot) = cl.vslots.get(&sig) {
            return Some(cl.vtable[slot]);
        }
        let mut ifaces: Vec<ClassId> = self.class(class).supers.iter().copied().collect();
        ifaces.sort();
        let found: Vec<MethodId> = ifaces
            .into_iter()
            .filter(|&i| self.class(i).is_interface())
            .filter_map(|i| self.class(i).methods.get(&sig).copied())
            .collect();
        found
            .iter()
            .copied()
            .find(|&m| self.method(m).access & access::ABSTRACT == 0)
            .or(found.first().copied())
    }

    /// Finds a field by name in `class`, its interfaces, then its
    /// superclasses (JVMS 5.4.3.2): the declaring class and the field.
    pub(crate) fn resolve_field(&self, class: ClassId, name: &str) -> Option<(ClassId, &Field)> {
        let c = self.class(class);
        if let Some(f) = c.fields.iter().find(|f| f.name == name) {
            return Some((class, f));
        }
        for &i in &c.interfaces {
            if let Some(r) = self.resolve_field(i, name) {
                return Some(r);
            }
        }
        self.resolve_field(c.super_class?, name)
    }
}
