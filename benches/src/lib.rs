//! What movegc's measurement binaries share: their output format, peak-RSS
//! readings, the GC log, and their children's figures.

use std::sync::OnceLock;
use std::time::Instant;

/// The pause a HotSpot `-Xlog:gc` line reports, in milliseconds, if it
/// reports one (`... Pause Young (Normal) ... 12.345ms`).
pub fn hotspot_pause_ms(line: &str) -> Option<f64> {
    if !line.contains(" Pause ") {
        return None;
    }
    line.split_whitespace()
        .next_back()?
        .strip_suffix("ms")?
        .parse()
        .ok()
}

/// Prints one figure: `name: value`, one line per figure.
pub fn line(name: &str, value: impl std::fmt::Display) {
    println!("{name}: {value}");
}

/// Resets the process's peak resident set (Linux 4.0+), so that a child
/// process's peak is its own measurement's.
pub fn reset_peak_rss() {
    // Where this is not allowed, the figure is the process's peak so far.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak resident set in MiB (NaN where the system cannot tell).
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// When [`install_gc_log`] was called: the GC log's lines give their time
/// from it, so that a benchmark can place its own events among them.
pub fn gc_log_epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Prints movegc's GC log (its `log::info!` lines) on stderr, each with its
/// time in ms since [`gc_log_epoch`].
pub fn install_gc_log() {
    struct GcLog;

    impl log::Log for GcLog {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &log::Record<'_>) {
            use std::io::Write;
            // Not `eprintln!`: its panic on a closed stderr (`| head`) would
            // unwind a GC thread, and the heap would wait for it forever.
            let at = gc_log_epoch().elapsed().as_secs_f64() * 1e3;
            let _ = writeln!(
                std::io::stderr(),
                "[{} {at:.3}] {}",
                record.level(),
                record.args()
            );
        }
        fn flush(&self) {}
    }

    static LOGGER: GcLog = GcLog;
    gc_log_epoch();
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
}

/// What a child process did, from its own resource usage (`wait4`).
pub struct Exit {
    /// From the spawn to the reaping: process start-up and teardown included.
    pub wall_s: f64,
    /// CPU time in user mode, all its threads.
    pub user_s: f64,
    /// CPU time in the kernel, all its threads.
    pub sys_s: f64,
    /// Page faults served without I/O: on an anonymous heap, nearly every first
    /// touch of a page, so a measure of the memory the run touched afresh.
    pub minor_faults: u64,
    /// Its peak resident set.
    pub peak_rss_mib: f64,
    /// How often the scheduler took a core from one of its threads.
    pub involuntary_switches: u64,
    /// The exit status, or the signal's negation.
    pub status: i32,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

fn seconds(t: libc::timeval) -> f64 {
    t.tv_sec as f64 + t.tv_usec as f64 * 1e-6
}

/// Runs `cmd` to its end, collecting its output, and reaps it with `wait4`
/// for its own resource usage. With a `timeout`, a child still running then
/// is killed, and that is an error.
pub fn run_child(
    cmd: &mut std::process::Command,
    timeout: Option<std::time::Duration>,
) -> Result<Exit, String> {
    use std::io::Read;
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("cannot start: {e}"))?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
            text
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let pid = libc::pid_t::try_from(child.id()).map_err(|e| e.to_string())?;
    let mut status = 0;
    // SAFETY: `rusage` is plain integers, for which all zeroes is a value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // With a deadline the child is polled, not waited for: only an unreaped
    // child can be killed without the risk of hitting a reused pid.
    let flags = if timeout.is_some() { libc::WNOHANG } else { 0 };
    let mut killed = false;
    loop {
        // SAFETY: `pid` is our child, not yet reaped (`child` is never waited
        // on; dropping it does not wait either); the pointers are to locals.
        let r = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
        if r == pid {
            break;
        }
        if r == 0 {
            if !killed && timeout.is_some_and(|t| start.elapsed() >= t) {
                // SAFETY: a signal to our own child, not yet reaped.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                killed = true;
            }
            // A millisecond's sleep is the resolution of the wall time measured.
            std::thread::sleep(Duration::from_millis(1));
            continue;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4: {e}"));
        }
    }
    let wall_s = start.elapsed().as_secs_f64();
    let (stdout, stderr) = (
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    );
    if killed {
        return Err(format!(
            "killed after the time limit, {:.1} s",
            timeout.unwrap_or_default().as_secs_f64()
        ));
    }
    let status = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -libc::WTERMSIG(status)
    };
    Ok(Exit {
        wall_s,
        user_s: seconds(usage.ru_utime),
        sys_s: seconds(usage.ru_stime),
        minor_faults: usage.ru_minflt as u64,
        // Linux gives the peak in KiB.
        peak_rss_mib: usage.ru_maxrss as f64 / 1024.0,
        involuntary_switches: usage.ru_nivcsw as u64,
        status,
        stdout,
        stderr,
    })
}

/// A JDK tool (`java`, `javac`) as a command, without the environment's
/// options: they would change the measured settings and announce themselves
/// on stderr.
pub fn jdk_tool(name: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(name);
    for var in ["JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS"] {
        cmd.env_remove(var);
    }
    cmd
}

/// Compiles the Java `sources` with `javac` into a directory named `dir_name`
/// next to the running program, which it returns, and prints `java`'s version
/// (`HotSpot: ...`); the reason when either tool is missing or fails.
pub fn compile_java(
    dir_name: &str,
    sources: &[std::path::PathBuf],
) -> Result<std::path::PathBuf, String> {
    let dir = std::env::current_exe()
        .map_err(|e| e.to_string())?
        .with_file_name(dir_name);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let out = jdk_tool("javac")
        .arg("-d")
        .arg(&dir)
        .args(sources)
        .output()
        .map_err(|e| format!("no javac: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "javac failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let out = jdk_tool("java")
        .arg("-version")
        .output()
        .map_err(|e| format!("no java: {e}"))?;
    let version = String::from_utf8_lossy(&out.stderr);
    let version = version.lines().next().unwrap_or_default().trim();
    if !out.status.success() {
        return Err(format!("java -version failed: {version}"));
    }
    line("HotSpot", version);
    Ok(dir)
}

/// The figures a child process printed, one `key value` line each.
pub type Figures = std::collections::BTreeMap<String, f64>;

/// Runs this program again with `args` (a child that measures one variant
/// alone, so that its peak RSS is its own; its standard error shown) and
/// reads the figures it prints. `Err` carries the reason a child that
/// printed `skipped REASON` gave. A child that fails ends this program,
/// saying so with `what`.
pub fn child_figures(what: &str, args: &[&str]) -> Result<Figures, String> {
    let program = std::env::current_exe().unwrap_or_else(|e| {
        eprintln!("{what}: cannot find this program: {e}");
        std::process::exit(1)
    });
    let out = std::process::Command::new(program)
        .args(args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .unwrap_or_else(|e| {
            eprintln!("{what}: cannot run a child: {e}");
            std::process::exit(1)
        });
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        eprintln!("{what}: the child failed ({}): {text}", out.status);
        std::process::exit(1);
    }
    if let Some(why) = text.strip_prefix("skipped ") {
        return Err(why.trim().to_owned());
    }
    Ok(text
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_owned(), v.trim().parse().ok()?))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::{hotspot_pause_ms, run_child};
    use std::process::Command;
    use std::time::{Duration, Instant};

    #[test]
    fn hotspot_pauses_are_read_from_gc_log_lines() {
        let young =
            "[0.251s][info][gc] GC(3) Pause Young (Allocation Failure) 98M->12M(981M) 7.215ms";
        assert_eq!(hotspot_pause_ms(young), Some(7.215));
        let other = "[0.300s][info][gc] GC(4) Concurrent Mark Cycle 12.5ms";
        assert_eq!(hotspot_pause_ms(other), None);
        assert_eq!(hotspot_pause_ms("[0.1s][info][gc] Using G1"), None);
    }

    #[test]
    fn a_child_past_its_time_limit_is_killed() {
        let start = Instant::now();
        let r = run_child(
            Command::new("sleep").arg("10"),
            Some(Duration::from_millis(100)),
        );
        assert!(r.is_err_and(|e| e.contains("time limit")));
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_child_reports_its_output_and_status() {
        let exit = run_child(
            Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]),
            Some(Duration::from_secs(10)),
        )
        .expect("sh runs");
        assert_eq!(
            (exit.status, exit.stdout.as_str(), exit.stderr.as_str()),
            (3, "out\n", "err\n")
        );
    }
}
