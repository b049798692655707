//! `lisp`: runs a Scheme program on a movegc heap.
//!
//! ```text
//! lisp [--heap SIZE] [--gc-mode auto|move|copy|stw] [--gc-stats] [--gc-histogram]
//!      [--gc-log] [--gc-threads N] [--gc-verify] [-i] [FILE [ARG...]]
//! ```
//!
//! With a file, runs it (`-` is stdin); with none, runs stdin, or opens a
//! REPL when stdin is a terminal (or with `-i`).

use std::io::{BufRead, BufWriter, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use gc_core::Mode;
use lisp::{Error, Interpreter, Options};

const USAGE: &str = "usage: lisp [--heap SIZE] [--gc-mode auto|move|copy|stw] [--gc-stats] [--gc-histogram] [--gc-log] [--gc-threads N] [--gc-verify] [-i] [FILE [ARG...]]
  FILE          a program to run (- for stdin); with none, stdin, or a REPL on a terminal
  -i            a REPL even when stdin is not a terminal
  --heap        the heap's size, e.g. 64M or 1G (default 256M)
  --gc-mode     the collector's mode (default auto)
  --gc-stats    print the collector's figures and a pause histogram at exit (stderr)
  --gc-histogram  print the reachable objects and bytes per type at exit (stderr)
  --gc-log      print a line per collection (stderr)
  --gc-threads  threads that mark in parallel (default: one per core)
  --gc-verify   check the heap before and after every collection (slow)";

/// Types `--gc-histogram` shows: more than the interpreter has.
const HISTOGRAM_TYPES: usize = 32;

struct Cli {
    options: Options,
    stats: bool,
    histogram: bool,
    log: bool,
    interactive: bool,
    file: Option<String>,
}

fn parse_args() -> Result<Cli, String> {
    let mut cli = Cli {
        options: Options::default(),
        stats: false,
        histogram: false,
        log: false,
        interactive: false,
        file: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--heap" => {
                let v = value("--heap")?;
                cli.options.heap_size = gc_core::heap::parse_size(&v)
                    .ok_or(format!("--heap: bad size {v:?} (try 64M)"))?;
            }
            "--gc-mode" => {
                cli.options.mode = match value("--gc-mode")?.as_str() {
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
            "--gc-stats" => cli.stats = true,
            "--gc-histogram" => cli.histogram = true,
            "--gc-log" => cli.log = true,
            "--gc-verify" => cli.options.verify = true,
            "--gc-threads" => {
                let v = value("--gc-threads")?;
                let n = v
                    .parse()
                    .map_err(|_| format!("--gc-threads: bad count {v:?}"))?;
                cli.options.gc_threads = Some(n);
            }
            "-i" | "--interactive" => cli.interactive = true,
            "-h" | "--help" => return Err(String::new()),
            _ if arg.starts_with("--") => return Err(format!("unknown flag {arg}")),
            _ => {
                cli.options.command_line = std::iter::once(arg.clone()).chain(args).collect();
                cli.file = Some(arg);
                break;
            }
        }
    }
    Ok(cli)
}

fn main() -> ExitCode {
    let cli = match parse_args() {
        Ok(cli) => cli,
        Err(why) => {
            if !why.is_empty() {
                eprintln!("lisp: {why}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    gc_core::install_stderr_log(cli.log);
    // The interpreter keeps its own stack; the big Rust stack is for the
    // reader and compiler, which recurse on nested source.
    let run = std::thread::Builder::new()
        .name("lisp".into())
        .stack_size(256 << 20)
        .spawn(move || run(cli))
        .and_then(|t| {
            t.join()
                .map_err(|_| std::io::Error::other("the interpreter panicked"))
        });
    match run {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("lisp: {e}");
            ExitCode::from(70)
        }
    }
}

fn run(cli: Cli) -> u8 {
    let start = Instant::now();
    let out = Box::new(BufWriter::new(std::io::stdout()));
    let mut interp = match Interpreter::new(&cli.options, out) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("lisp: {e}");
            return 2;
        }
    };
    let code = match cli.file.as_deref() {
        Some(file) => run_file(&mut interp, file),
        None if cli.interactive || std::io::stdin().is_terminal() => repl(&mut interp),
        None => run_file(&mut interp, "-"),
    };
    let _ = interp.flush();
    if cli.histogram {
        match interp.histogram() {
            Ok(h) => eprint!("{}", h.top(HISTOGRAM_TYPES)),
            Err(e) => eprintln!("lisp: no heap histogram: {e}"),
        }
    }
    if cli.stats {
        let mode = interp.heap().mode();
        eprint!("{}", interp.stats().report(mode, start.elapsed()));
    }
    code
}

fn run_file(interp: &mut Interpreter, file: &str) -> u8 {
    let (name, text) = if file == "-" {
        let mut text = String::new();
        let read = interp.native(|| std::io::stdin().read_to_string(&mut text));
        ("<stdin>", read.map(|_| text))
    } else {
        (file, std::fs::read_to_string(file))
    };
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            eprintln!("lisp: cannot read {name}: {e}");
            return 2;
        }
    };
    match interp.run(name, &text) {
        Ok(()) => 0,
        Err(e) => failed(interp, &e),
    }
}

/// Reports an error; returns the exit status it calls for.
fn failed(interp: &mut Interpreter, e: &Error) -> u8 {
    let _ = interp.flush();
    match e {
        Error::Exit(code) => *code as u8,
        e => {
            eprintln!("{}", interp.describe(e));
            1
        }
    }
}

fn repl(interp: &mut Interpreter) -> u8 {
    println!("movegc Scheme; (exit) or end of input to leave");
    let mut input = String::new();
    loop {
        print!("{}", if input.is_empty() { "> " } else { "  " });
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        match interp.native(|| std::io::stdin().lock().read_line(&mut line)) {
            Ok(0) | Err(_) => {
                println!();
                return 0;
            }
            Ok(_) => input.push_str(&line),
        }
        if lisp::incomplete(&input) {
            continue;
        }
        let text = std::mem::take(&mut input);
        let result = interp.eval("<repl>", &text, |interp, shown| {
            if let Some(s) = shown {
                let _ = interp.flush();
                println!("{s}");
            }
        });
        let _ = interp.flush();
        match result {
            Ok(()) => {}
            Err(Error::Exit(code)) => return code as u8,
            Err(e) => eprintln!("{}", interp.describe(&e)),
        }
    }
}
