//! Roots the library holds: each thread's [`RootVec`]s (in a [`RootSet`] of
//! its own) and [`RootCell`], and
//! the heap's [`Global`]s that every thread reads and writes, in every mode,
//! with young and full cycles (marking and compacting concurrently in the
//! concurrent modes) racing the threads. A model of every slot is checked
//! after each round: the objects the slots reach keep their identity (their
//! data), tagged non-references are left alone, and objects published
//! through a global by one thread are whole when another reads them. And a
//! dropped handle's slots stop being roots.

use gc_core::{
    Global, Heap, Live, Mode, Mutator, ObjRef, RootCell, RootSet, RootVec, RootVisitor, Rooted,
    TypeDescriptor, WORD,
};
use movegc_tests::{Rng, Types, concurrent_heap, fixnum, run_each};

/// Mutator threads.
const THREADS: usize = 2;
/// Global slots, shared by the threads: thread `t` writes those `i % THREADS == t`.
const GLOBALS: usize = 64;
/// Rounds per thread, each checked.
const ROUNDS: usize = 200;
/// Slot operations per round.
const OPS: usize = 60;
/// Marks a node's second data word: `id ^ CHECK`.
const CHECK: usize = 0x5a5a_5a5a;

/// Allocates a node whose data words say `id`.
fn node(m: &mut Mutator, types: Types, id: usize) -> Result<ObjRef, String> {
    let n = m.alloc(types.node, 0).map_err(|e| e.to_string())?;
    // SAFETY: a fresh node: 32 and 40 are data words.
    unsafe {
        n.write_word(32, id);
        n.write_word(40, id ^ CHECK);
    }
    Ok(n)
}

/// The id of the node `obj`, checking its type and data.
fn id_of(types: Types, obj: Option<ObjRef>) -> Result<usize, String> {
    let obj = obj.ok_or("a null where the model has a node")?;
    // SAFETY: a reference read from a root, while this thread runs.
    let (header, id, check) = unsafe { (obj.header(), obj.read_word(32), obj.read_word(40)) };
    if header.type_id() != types.node.0 || id ^ CHECK != check {
        return Err(format!(
            "{obj:?}: type {} data {id:#x}/{check:#x}: not a whole node",
            header.type_id()
        ));
    }
    Ok(id)
}

/// What a tagged slot holds in the model.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Tagged {
    Fix(u64),
    Node(usize),
}

/// A VM's root containers, gathered in one set.
#[derive(Default)]
struct Slots {
    stack: RootVec<Option<ObjRef>>,
    tagged: RootVec<usize>,
}

impl RootSet for Slots {
    fn visit(&self, roots: &mut RootVisitor<'_>) {
        self.stack.visit(roots);
        self.tagged.visit(roots);
    }
}

/// One thread's slots and their model.
struct Owned {
    set: Rooted<Slots>,
    cell: Rooted<RootCell<Option<ObjRef>>>,
    stack_model: Vec<usize>,
    tagged_model: Vec<Tagged>,
    cell_model: usize,
}

impl Owned {
    fn check(&self, types: Types) -> Result<(), String> {
        if self.set.stack.len() != self.stack_model.len() {
            return Err(format!(
                "stack of {} slots, model {}",
                self.set.stack.len(),
                self.stack_model.len()
            ));
        }
        for (i, &want) in self.stack_model.iter().enumerate() {
            let got = id_of(types, self.set.stack.get(i))?;
            if got != want {
                return Err(format!("stack slot {i}: node {got}, model {want}"));
            }
        }
        for (i, &want) in self.tagged_model.iter().enumerate() {
            let word = self.set.tagged.get(i);
            let got = match want {
                Tagged::Fix(_) => Tagged::Fix((word >> 1) as u64),
                Tagged::Node(_) => Tagged::Node(id_of(types, ObjRef::from_addr(word))?),
            };
            if got != want {
                return Err(format!("tagged slot {i}: {got:?}, model {want:?}"));
            }
        }
        let got = id_of(types, self.cell.get())?;
        if got != self.cell_model {
            return Err(format!("cell: node {got}, model {}", self.cell_model));
        }
        Ok(())
    }
}

/// Thread `t`'s run: slot operations, garbage, and checks, round after round.
fn run(heap: &Heap, types: Types, globals: &[Global], t: usize) -> Result<(), String> {
    let mut m = heap.attach().map_err(|e| e.to_string())?;
    let mut rng = Rng::new(77 + t as u64);
    let mut next_id = t << 32;
    let mut fresh = |m: &mut Mutator| {
        next_id += 1;
        node(m, types, next_id).map(|n| (n, next_id))
    };
    let (first, first_id) = fresh(&mut m)?;
    let mut o = Owned {
        set: m.root_set(Slots::default()),
        cell: m.root_cell(Some(first)),
        stack_model: Vec::new(),
        tagged_model: Vec::new(),
        cell_model: first_id,
    };
    let mine: Vec<usize> = (0..GLOBALS).filter(|i| i % THREADS == t).collect();
    let mut global_model = vec![None; GLOBALS];
    for round in 0..ROUNDS {
        for _ in 0..OPS {
            match rng.below(10) {
                0..=2 => {
                    let (n, id) = fresh(&mut m)?;
                    o.set.stack.push(Some(n));
                    o.stack_model.push(id);
                }
                3 if !o.stack_model.is_empty() => {
                    o.set.stack.pop();
                    o.stack_model.pop();
                }
                4 if !o.stack_model.is_empty() => {
                    let i = rng.below(o.stack_model.len());
                    let (n, id) = fresh(&mut m)?;
                    o.set.stack.set(i, Some(n));
                    o.stack_model[i] = id;
                }
                5 => {
                    let k = rng.next_u64() >> 2;
                    o.set.tagged.push(fixnum(k));
                    o.tagged_model.push(Tagged::Fix(k));
                }
                6 => {
                    let (n, id) = fresh(&mut m)?;
                    o.set.tagged.push(n.addr());
                    o.tagged_model.push(Tagged::Node(id));
                }
                7 => {
                    let (n, id) = fresh(&mut m)?;
                    o.cell.set(Some(n));
                    o.cell_model = id;
                }
                8 => {
                    let g = mine[rng.below(mine.len())];
                    let (n, id) = fresh(&mut m)?;
                    globals[g].set(Some(n));
                    global_model[g] = Some(id);
                }
                _ => {
                    // Another thread's global: whatever it holds now is a whole node.
                    let g = rng.below(GLOBALS);
                    if let Some(n) = globals[g].get() {
                        id_of(types, Some(n)).map_err(|e| format!("global {g}: {e}"))?;
                    }
                }
            }
            for _ in 0..6 {
                m.alloc(types.blob, 1000).map_err(|e| e.to_string())?;
            }
        }
        if o.stack_model.len() > 500 {
            o.set.stack.truncate(100);
            o.stack_model.truncate(100);
        }
        o.check(types).map_err(|e| format!("round {round}: {e}"))?;
        for &g in &mine {
            let got = globals[g]
                .get()
                .map(|n| id_of(types, Some(n)))
                .transpose()?;
            if got != global_model[g] {
                return Err(format!(
                    "round {round}: global {g} holds {got:?}, model {:?}",
                    global_model[g]
                ));
            }
        }
        // Full cycles of its own every 25 rounds, besides those the budget
        // starts, whose number depends on how the threads are scheduled.
        if round % 25 == 24 {
            m.collect().map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

fn owned_roots_survive_cycles(mode: Mode) {
    let policy = gc_core::Policy::default()
        .young_slide_limit(0)
        .young_pause_objects(0)
        .young_budget(Some(1 << 20));
    let Some((heap, types)) = concurrent_heap(mode, 32 << 20, |b| b.policy(policy)) else {
        return;
    };
    let globals: Vec<Global> = (0..GLOBALS).map(|_| heap.global(None)).collect();
    run_each(THREADS, |t| run(&heap, types, &globals, t));
    let cycles = heap.stats().collections;
    assert!(cycles >= 10, "{mode:?}: only {cycles} cycles");
}

#[test]
fn stop_the_world_owned_roots_survive_cycles() {
    owned_roots_survive_cycles(Mode::StopTheWorld);
}

#[test]
fn move_mode_owned_roots_survive_cycles() {
    owned_roots_survive_cycles(Mode::Move);
}

#[test]
fn copy_mode_owned_roots_survive_cycles() {
    owned_roots_survive_cycles(Mode::Copy);
}

/// Objects held only by dropped globals, root arrays or cells are garbage.
#[test]
fn dropped_handles_stop_being_roots() {
    let (table, _) = Types::table();
    let held = table
        .register(TypeDescriptor::fixed("held", 2 * WORD, &[], &[]))
        .expect("a valid type");
    let heap = Heap::builder()
        .size(16 << 20)
        .mode(Mode::StopTheWorld)
        .verify(true)
        .types(table)
        .build()
        .expect("a heap");
    let mut m = heap.attach().expect("attach");
    let count = |m: &mut Mutator| {
        let h = m.histogram(Live::Reachable).expect("a histogram");
        h.get(held).map_or(0, |t| t.count)
    };
    let globals: Vec<Global> = (0..10)
        .map(|_| heap.global(Some(m.alloc(held, 0).expect("an object"))))
        .collect();
    let vec = m.root_vec();
    for _ in 0..20 {
        let obj = m.alloc(held, 0).expect("an object");
        vec.push(Some(obj));
    }
    let obj = m.alloc(held, 0).expect("an object");
    let cell = m.root_cell(Some(obj));
    let clone = vec.clone();
    assert_eq!(count(&mut m), 10 + 20 + 1);
    drop(globals);
    assert_eq!(count(&mut m), 20 + 1);
    drop(vec);
    assert_eq!(count(&mut m), 20 + 1, "a clone keeps the slots");
    drop(clone);
    assert_eq!(count(&mut m), 1);
    drop(cell);
    assert_eq!(count(&mut m), 0);
}
