//! A SIGBUS the dispatcher does not resolve reaches the disposition that was
//! there before it. Each scenario runs in a child process (this binary run
//! again with `--child NAME`), since it ends that process.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus};

use common::*;
use gc_uffd::sigbus::{self, Fault, FaultAction};
use gc_uffd::{Capability, Features, Outcome, Userfaultfd, Wake};

const EARLIER_HANDLER_EXIT: i32 = 42;

extern "C" fn earlier_handler(_: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: `_exit` is async-signal-safe.
    unsafe { libc::_exit(EARLIER_HANDLER_EXIT) };
}

/// Installs a SIGBUS handler of the program's own, before the dispatcher.
fn install_earlier_handler() {
    // SAFETY: a zeroed sigaction is valid to fill in; the handler is async-signal-safe.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = earlier_handler as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&mut sa.sa_mask);
        assert_eq!(libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut()), 0);
    }
}

/// Sets SIGBUS to the default action, replacing the handler Rust's runtime
/// installs at start-up, so the dispatcher's own default path is what runs.
fn install_default_action() {
    // SAFETY: SIG_DFL is always a valid disposition.
    let previous = unsafe { libc::signal(libc::SIGBUS, libc::SIG_DFL) };
    assert_ne!(previous, libc::SIG_ERR);
}

/// A real bus error outside every registered range: reading past the end of
/// an empty file mapping.
fn bus_error_outside_every_range() -> u8 {
    let fd = rustix::fs::memfd_create("movegc-sigbus", rustix::fs::MemfdFlags::CLOEXEC).unwrap();
    // SAFETY: maps a fresh, empty memfd; nothing else is affected.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            page(),
            libc::PROT_READ,
            libc::MAP_SHARED,
            std::os::fd::AsRawFd::as_raw_fd(&fd),
            0,
        )
    };
    assert_ne!(p, libc::MAP_FAILED);
    // SAFETY: the page is mapped; reading beyond the file's end raises SIGBUS.
    unsafe { (p as *const u8).read_volatile() }
}

/// Reads the byte at `addr` for the fault alone. Volatile, so that the read
/// happens at every optimisation level: a plain read whose result is unused is
/// removed in release, and the scenario would then test nothing.
fn touch(addr: usize) -> u8 {
    // SAFETY: tests pass an address in a reservation they own.
    unsafe { (addr as *const u8).read_volatile() }
}

/// A registered heap page resolved by ZEROPAGE, proving the dispatcher is live.
fn resolved_fault_in_a_range() -> (sigbus::SigbusRange, gc_uffd::Reservation) {
    let uffd = Userfaultfd::open(Features::SIGBUS).unwrap();
    let heap = empty(1);
    uffd.register(heap.range()).unwrap();
    let start = heap.start();
    // SAFETY: the handler makes one ioctl.
    let range = unsafe {
        sigbus::register_range(heap.range(), move |_: &Fault| {
            match uffd
                .zero_pages(start, gc_uffd::page_size(), Wake::Yes)
                .outcome
            {
                Outcome::Complete | Outcome::Exists => FaultAction::Resolved,
                _ => FaultAction::Forward,
            }
        })
    }
    .unwrap();
    assert!(is_zero(heap.start()));
    (range, heap)
}

fn child(scenario: &str) {
    match scenario {
        "earlier-handler" => {
            install_earlier_handler();
            let _in_range = resolved_fault_in_a_range();
            bus_error_outside_every_range();
        }
        "runtime-handler" => {
            let _in_range = resolved_fault_in_a_range();
            bus_error_outside_every_range();
        }
        "default-action" => {
            install_default_action();
            let _in_range = resolved_fault_in_a_range();
            bus_error_outside_every_range();
        }
        "handler-forwards" => {
            install_earlier_handler();
            let uffd = Userfaultfd::open(Features::SIGBUS).unwrap();
            let heap = empty(1);
            uffd.register(heap.range()).unwrap();
            // SAFETY: the handler does nothing.
            let _r =
                unsafe { sigbus::register_range(heap.range(), |_: &Fault| FaultAction::Forward) }
                    .unwrap();
            touch(heap.start());
        }
        "raised-by-the-program" => {
            install_default_action();
            let _in_range = resolved_fault_in_a_range();
            // SAFETY: raise is always safe to call.
            unsafe { libc::raise(libc::SIGBUS) };
        }
        other => panic!("unknown scenario {other}"),
    }
    // Reaching here means the signal was swallowed.
    std::process::exit(0);
}

/// How a child scenario must end.
#[derive(Clone, Copy, Debug)]
enum Ending {
    EarlierHandler,
    KilledBySigbus,
}

fn run(scenario: &str) -> ExitStatus {
    Command::new(std::env::current_exe().unwrap())
        .args(["--child", scenario])
        .status()
        .unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, scenario] = args.as_slice()
        && flag == "--child"
    {
        child(scenario);
    }
    if !require(&[Capability::Sigbus]) {
        println!("0 passed, 0 failed, 5 skipped");
        return;
    }
    let cases: [(&str, Ending); 5] = [
        // Rust's runtime installs a SIGBUS handler (for stack overflows) before
        // main: by default that is the earlier disposition, and it restores the
        // default action for a fault that is not a stack overflow.
        ("earlier-handler", Ending::EarlierHandler),
        ("runtime-handler", Ending::KilledBySigbus),
        ("default-action", Ending::KilledBySigbus),
        ("handler-forwards", Ending::EarlierHandler),
        ("raised-by-the-program", Ending::KilledBySigbus),
    ];
    let mut failed = 0;
    for (scenario, expected) in cases {
        let status = run(scenario);
        let ok = match expected {
            Ending::EarlierHandler => status.code() == Some(EARLIER_HANDLER_EXIT),
            Ending::KilledBySigbus => status.signal() == Some(libc::SIGBUS),
        };
        if ok {
            println!("test {scenario} ... ok");
        } else {
            println!("test {scenario} ... FAILED: expected {expected:?}, got {status}");
            failed += 1;
        }
    }
    println!("{} passed, {failed} failed", cases.len() - failed);
    if failed > 0 {
        std::process::exit(1);
    }
}
