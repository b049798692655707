//! `jvm`: runs a Java program's class files on a movegc heap.
//!
//! ```text
//! jvm [-cp DIR[:DIR...]] [--heap SIZE | -XmxSIZE] [--gc-mode auto|move|copy|stw]
//!     [--gc-stats] [--gc-log] [--gc-threads N] [--gc-verify]
//!     [--gc-stress N] MainClass [ARG...]
//! ```

use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use gc_core::Mode;
use jvm::{Error, Jvm, Options};

const USAGE: &str = "usage: jvm [-cp DIR[:DIR...]] [--heap SIZE | -XmxSIZE] [--gc-mode auto|move|copy|stw] [--gc-stats] [--gc-log] [--gc-threads N] [--gc-verify] [--gc-stress N] MainClass [ARG...]
  -cp, -classpath  directories of .class files (default: .)
  --heap, -Xmx     the heap's size, e.g. 64M or 1G (default 256M)
  --gc-mode        the collector's mode (default auto)
  --gc-stats       print the collector's figures and a pause histogram at exit (stderr)
  --gc-log         print a line per collection (stderr)
  --gc-threads     threads that mark in parallel in pauses
  --gc-verify      check the heap before and after every collection (slow)
  --gc-stress      collect every N allocations (finds natives that hold a reference across one)";

struct Cli {
    options: Options,
    stats: bool,
    log: bool,
    main: String,
    args: Vec<String>,
}

fn size(flag: &str, v: &str) -> Result<usize, String> {
    gc_core::heap::parse_size(v).ok_or(format!("{flag}: bad size {v:?} (try 64M)"))
}

fn parse_args() -> Result<Cli, String> {
    let mut options = Options::default();
    let (mut stats, mut log) = (false, false);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "-cp" | "-classpath" | "--class-path" => {
                options.class_path = value(&arg)?.split(':').map(PathBuf::from).collect();
            }
            "--heap" | "-Xmx" => options.heap_size = size(&arg, &value(&arg)?)?,
            a if a.starts_with("-Xmx") => options.heap_size = size("-Xmx", &a[4..])?,
            "--gc-mode" => {
                options.mode = match value("--gc-mode")?.as_str() {
                    "auto" => Mode::Auto,
                    "move" => Mode::Move,
                    "copy" => Mode::Copy,
                    "stw" => Mode::StopTheWorld,
                    m => {
                        return Err(format!(
                            "--gc-mode: unknown mode {m:?} (auto, move, copy, stw)"
                        ));
                    }
                }
            }
            "--gc-stats" => stats = true,
            "--gc-log" => log = true,
            "--gc-verify" => options.verify = true,
            "--gc-threads" => {
                let v = value("--gc-threads")?;
                options.gc_threads = Some(
                    v.parse()
                        .map_err(|_| format!("--gc-threads: bad count {v:?}"))?,
                );
            }
            "--gc-stress" => {
                let v = value("--gc-stress")?;
                options.gc_stress = Some(
                    v.parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| format!("--gc-stress: bad count {v:?}"))?,
                );
            }
            "-h" | "--help" => return Err(String::new()),
            a if a.starts_with('-') => return Err(format!("unknown flag {a}")),
            _ => {
                return Ok(Cli {
                    options,
                    stats,
                    log,
                    main: arg,
                    args: args.collect(),
                });
            }
        }
    }
    Err("no main class given".into())
}

fn main() -> ExitCode {
    let cli = match parse_args() {
        Ok(cli) => cli,
        Err(why) => {
            if !why.is_empty() {
                eprintln!("jvm: {why}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    gc_core::install_stderr_log(cli.log);
    // Java calls run on the interpreter's own stack; the Rust stack only
    // holds natives that call back into Java (toString from println).
    let run = std::thread::Builder::new()
        .name("main".into())
        .stack_size(64 << 20)
        .spawn(move || run(cli))
        .and_then(|t| {
            t.join()
                .map_err(|_| std::io::Error::other("the interpreter panicked"))
        });
    match run {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("jvm: {e}");
            ExitCode::from(70)
        }
    }
}

fn run(cli: Cli) -> u8 {
    let start = Instant::now();
    let out = Box::new(BufWriter::new(std::io::stdout()));
    let mut jvm = match Jvm::new(&cli.options, out, Box::new(std::io::stderr())) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("jvm: {e}");
            return 2;
        }
    };
    let result = jvm.run_main(&cli.main, &cli.args);
    let _ = jvm.flush();
    let code = match result {
        Ok(()) => 0,
        Err(Error::Exit(status)) => status as u8,
        Err(Error::Uncaught) => 1,
        Err(e @ (Error::Usage(_) | Error::Load(_))) => {
            eprintln!("jvm: {e}");
            2
        }
        Err(e) => {
            eprintln!("jvm: {e}");
            70
        }
    };
    if cli.stats {
        eprint!("{}", jvm.stats().report(jvm.heap().mode(), start.elapsed()));
    }
    code
}
