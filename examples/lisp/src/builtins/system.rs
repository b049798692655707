//! Control, the collector, the process, and the rest.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::{ANY, Args, Body, Control, Primitive, prim};
use crate::errors::Error;
use crate::value::Value;
use crate::vm::{Vm, is_procedure};

type Result<T> = std::result::Result<T, Error>;

fn exit(vm: &mut Vm, a: Args) -> Result<Value> {
    let code = if a.len == 0 {
        0
    } else {
        match vm.arg(a, 0) {
            Value::TRUE => 0,
            Value::FALSE => 1,
            v => v.as_fixnum().map_or(1, |n| n as i32),
        }
    };
    Err(Error::Exit(code))
}

/// `(gc)`: a full collection now.
fn gc(vm: &mut Vm, _: Args) -> Result<Value> {
    vm.gc.mutator().collect()?;
    Ok(Value::UNSPECIFIED)
}

/// `(gc-stats)`: the collector's figures, as an association list.
fn gc_stats(vm: &mut Vm, _: Args) -> Result<Value> {
    let s = vm.gc.heap().stats();
    let us = |d: std::time::Duration| d.as_micros() as i64;
    let figures: [(&str, i64); 7] = [
        ("collections", s.collections as i64),
        ("total-pause-us", us(s.total_pause)),
        ("max-pause-us", us(s.max_pause)),
        ("bytes-allocated", s.bytes_allocated as i64),
        ("bytes-in-use", s.used as i64),
        ("heap-size", s.heap_size as i64),
        ("objects-moved", s.objects_moved as i64),
    ];
    vm.list_of(figures.len(), |vm, i| {
        let (name, n) = figures[i];
        let sym = vm.gc.intern(name)?;
        vm.gc.cons(sym, Value::fixnum(n).unwrap_or(Value::FALSE))
    })
}

fn get_environment_variable(vm: &mut Vm, a: Args) -> Result<Value> {
    let name = vm.obj_arg("get-environment-variable", a, 0, vm.gc.t.string, "a string")?;
    match std::env::var(vm.gc.rust_string(name)) {
        Ok(value) => vm.gc.string(&value),
        Err(_) => Ok(Value::FALSE),
    }
}

fn get_environment_variables(vm: &mut Vm, _: Args) -> Result<Value> {
    let vars: Vec<(String, String)> = std::env::vars().collect();
    vm.list_of(vars.len(), |vm, i| {
        let name = vm.gc.string(&vars[i].0)?;
        let mark = vm.gc.keep(name);
        let value = vm.gc.string(&vars[i].1);
        let name = vm.gc.kept(mark);
        vm.gc.release(mark);
        vm.gc.cons(name, value?)
    })
}

fn command_line(vm: &mut Vm, _: Args) -> Result<Value> {
    let args = vm.command_line.clone();
    vm.list_of(args.len(), |vm, i| vm.gc.string(&args[i]))
}

thread_local! {
    static EPOCH: Instant = Instant::now();
}

fn current_jiffy(_: &mut Vm, _: Args) -> Result<Value> {
    let micros = EPOCH.with(|e| e.elapsed().as_micros());
    Ok(Value::fixnum(micros as i64).unwrap_or(Value::FALSE))
}

fn jiffies_per_second(_: &mut Vm, _: Args) -> Result<Value> {
    Ok(Value::small(1_000_000))
}

fn current_second(vm: &mut Vm, _: Args) -> Result<Value> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    vm.gc.flonum(now)
}

fn is_procedure_prim(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(is_procedure(&vm.gc, vm.arg(a, 0))))
}

fn is_boolean(vm: &mut Vm, a: Args) -> Result<Value> {
    let v = vm.arg(a, 0);
    Ok(Value::bool(v == Value::TRUE || v == Value::FALSE))
}

fn not(vm: &mut Vm, a: Args) -> Result<Value> {
    Ok(Value::bool(vm.arg(a, 0) == Value::FALSE))
}

/// The `dynamic-wind`s in force, for the library's `dynamic-wind`.
fn winders(vm: &mut Vm, _: Args) -> Result<Value> {
    Ok(vm.gc.roots.regs.winders.get())
}

fn set_winders(vm: &mut Vm, a: Args) -> Result<Value> {
    vm.gc.roots.regs.winders.set(vm.arg(a, 0));
    Ok(Value::UNSPECIFIED)
}

/// The `dynamic-wind`s a continuation returns into.
fn continuation_winders(vm: &mut Vm, a: Args) -> Result<Value> {
    let k = vm.obj_arg(
        "%continuation-winders",
        a,
        0,
        vm.gc.t.continuation,
        "a continuation",
    )?;
    Ok(vm.gc.elem(k, 1))
}

const fn control(name: &'static str, min: u16, max: u16, c: Control) -> Primitive {
    Primitive {
        name,
        min,
        max,
        body: Body::Control(c),
    }
}

pub(super) const PRIMITIVES: &[Primitive] = &[
    prim("exit", 0, 1, exit),
    prim("emergency-exit", 0, 1, exit),
    prim("gc", 0, 0, gc),
    prim("gc-stats", 0, 0, gc_stats),
    prim("command-line", 0, 0, command_line),
    prim("get-environment-variable", 1, 1, get_environment_variable),
    prim("get-environment-variables", 0, 0, get_environment_variables),
    prim("current-jiffy", 0, 0, current_jiffy),
    prim("jiffies-per-second", 0, 0, jiffies_per_second),
    prim("current-second", 0, 0, current_second),
    prim("procedure?", 1, 1, is_procedure_prim),
    prim("boolean?", 1, 1, is_boolean),
    prim("not", 1, 1, not),
    Primitive {
        name: "apply",
        min: 2,
        max: ANY,
        body: Body::Apply,
    },
    control("call-with-current-continuation", 1, 1, Control::CallCc),
    control("call/cc", 1, 1, Control::CallCc),
    control("with-exception-handler", 2, 2, Control::WithHandler),
    control("raise", 1, 1, Control::Raise),
    control("raise-continuable", 1, 1, Control::RaiseContinuable),
    control("%resume", 2, 2, Control::Resume),
    prim("%winders", 0, 0, winders),
    prim("%set-winders!", 1, 1, set_winders),
    prim("%continuation-winders", 1, 1, continuation_winders),
];
