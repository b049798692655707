//! The operating system's side of ports. A port on the heap is a small
//! object holding an index into this table, which owns the open file or the
//! string being read or written: a heap object must not own an OS resource,
//! since the collector copies objects without running code for them.
//!
//! Closing a port releases its resource and leaves a closed entry behind,
//! so that the heap object, which may still be reachable, stays a closed
//! port. Entries are not reused: an unreachable port that was never closed
//! keeps its file open until the interpreter ends (movegc has no finalizers
//! yet to tell the table).

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};

/// The table's first entries: the console's ports.
pub(crate) const STDIN: usize = 0;
pub(crate) const STDOUT: usize = 1;
pub(crate) const STDERR: usize = 2;

/// One port's resource.
pub(crate) enum Port {
    Input(Input),
    Output(Output),
    /// Closed: whether it was an input port.
    Closed {
        input: bool,
    },
}

/// Where an output port's text goes.
pub(crate) enum Output {
    /// The interpreter's output (standard output, or what the embedder gave).
    Console,
    /// Standard error.
    Error,
    File(BufWriter<File>),
    /// A string port's text so far.
    Text(String),
}

/// Where an input port's text comes from, a line at a time.
pub(crate) enum Source {
    /// Standard input, through the process's own buffer, which the REPL shares.
    Stdin,
    File(BufReader<File>),
    /// Nothing more: the end of the file, or a string port's whole text read.
    Done,
}

/// An input port: the text read from its source and not yet consumed.
pub(crate) struct Input {
    text: Vec<char>,
    at: usize,
    source: Source,
}

impl Input {
    /// A port reading `source`.
    pub(crate) fn new(source: Source) -> Input {
        Input {
            text: Vec::new(),
            at: 0,
            source,
        }
    }

    /// A port reading `text`.
    pub(crate) fn string(text: Vec<char>) -> Input {
        Input {
            text,
            at: 0,
            source: Source::Done,
        }
    }

    /// The text read and not yet consumed.
    pub(crate) fn pending(&self) -> &[char] {
        &self.text[self.at..]
    }

    /// Consumes `n` characters of the pending text.
    pub(crate) fn consume(&mut self, n: usize) {
        self.at = (self.at + n).min(self.text.len());
    }

    /// Whether the source has no more text to give.
    pub(crate) fn exhausted(&self) -> bool {
        matches!(self.source, Source::Done)
    }

    /// Reads another line from the source into the pending text; false at
    /// its end. It blocks: call it in `Mutator::native`.
    pub(crate) fn fill(&mut self) -> std::io::Result<bool> {
        let mut line = String::new();
        let n = match &mut self.source {
            Source::Stdin => std::io::stdin().read_line(&mut line)?,
            Source::File(f) => f.read_line(&mut line)?,
            Source::Done => 0,
        };
        if n == 0 {
            self.source = Source::Done;
            return Ok(false);
        }
        // What was consumed is dropped, so a long file is not held whole.
        self.text.drain(..self.at);
        self.at = 0;
        self.text.extend(line.chars());
        Ok(true)
    }
}

impl Output {
    /// Writes `text`; the console is written by the caller, which owns it.
    pub(crate) fn write(&mut self, console: &mut dyn Write, text: &str) -> std::io::Result<()> {
        match self {
            Output::Console => console.write_all(text.as_bytes()),
            Output::Error => {
                // Whatever the program printed before goes first.
                console.flush()?;
                std::io::stderr().write_all(text.as_bytes())
            }
            Output::File(f) => f.write_all(text.as_bytes()),
            Output::Text(s) => {
                s.push_str(text);
                Ok(())
            }
        }
    }

    pub(crate) fn flush(&mut self, console: &mut dyn Write) -> std::io::Result<()> {
        match self {
            Output::Console => console.flush(),
            Output::Error => std::io::stderr().flush(),
            Output::File(f) => f.flush(),
            Output::Text(_) => Ok(()),
        }
    }
}

/// Every port the interpreter opened, by index.
pub(crate) struct Ports(Vec<Port>);

impl Ports {
    /// The console's ports, at [`STDIN`], [`STDOUT`] and [`STDERR`].
    pub(crate) fn new() -> Ports {
        Ports(vec![
            Port::Input(Input::new(Source::Stdin)),
            Port::Output(Output::Console),
            Port::Output(Output::Error),
        ])
    }

    /// Adds a port; returns its index.
    pub(crate) fn open(&mut self, port: Port) -> usize {
        self.0.push(port);
        self.0.len() - 1
    }

    pub(crate) fn get(&self, index: usize) -> Option<&Port> {
        self.0.get(index)
    }

    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut Port> {
        self.0.get_mut(index)
    }
}
