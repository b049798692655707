//! The GC log on stderr (`install_stderr_log`) is written by the
//! collector's threads: a closed stderr must not stop them. A child process
//! logs every cycle into a pipe whose reader has gone away, and must go on
//! collecting and exit.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gc_core::Heap;
use movegc_tests::{Types, allocate_until_collection};

const CHILD: &str = "MOVEGC_STDERR_LOG_CHILD";
const TEST: &str = "cycles_go_on_when_nobody_reads_the_log";

/// Cycles the child runs, each started by the allocation budget on the
/// heap's cycle thread.
const CYCLES: u64 = 8;

/// The child: garbage only, in a heap small enough that allocations stall
/// for memory if a cycle thread is gone.
fn child() {
    gc_core::install_stderr_log(true);
    let (table, types) = Types::table();
    let heap = Heap::builder()
        .size(32 << 20)
        .types(table)
        .build()
        .expect("a heap in mode Auto builds anywhere");
    let mut m = heap.attach().unwrap();
    for _ in 0..CYCLES {
        let seen = m.heap().stats().collections;
        allocate_until_collection(&mut m, types, seen).unwrap();
    }
    println!("collections: {}", m.heap().stats().collections);
}

#[test]
fn cycles_go_on_when_nobody_reads_the_log() {
    if std::env::var_os(CHILD).is_some() {
        child();
        return;
    }
    let exe = std::env::current_exe().expect("the test binary");
    let mut proc = Command::new(exe)
        .args(["--exact", TEST, "--nocapture", "--test-threads", "1"])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running the child process");
    // The log's reader goes away: every line written from now on meets EPIPE.
    drop(proc.stderr.take());
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = proc.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = proc.kill();
            panic!("the child still runs after two minutes: a cycle thread died logging");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    proc.stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(status.success(), "the child {status}; its stdout:\n{out}");
    let collections: u64 = out
        .lines()
        .find_map(|l| Some(l.split_once("collections: ")?.1))
        .unwrap_or_else(|| panic!("no count of collections in the child's stdout:\n{out}"))
        .parse()
        .unwrap();
    assert!(collections >= CYCLES, "{collections} collections");
}
