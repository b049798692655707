//! Derived forms, rewritten into core forms before they are compiled:
//! quasiquote, `case`, `do`, `define-record-type`, `case-lambda`, `delay`.
//!
//! A rewrite that needs a built-in procedure names it with a leading NUL
//! (`"\0cons"`), which no program can write or shadow: the compiler
//! resolves such names to the primitive itself.

use crate::errors::{Error, Pos};
use crate::reader::{Datum, Kind};

type Result<T> = std::result::Result<T, Error>;

/// The prefix of names only rewrites can produce.
pub(crate) const HIDDEN: char = '\0';

/// A symbol naming a built-in procedure that programs cannot shadow.
pub(crate) fn hidden(pos: &Pos, name: &str) -> Datum {
    Datum::sym(pos, &format!("{HIDDEN}{name}"))
}

/// `(keyword fixed... body...)`.
pub(crate) fn form<const N: usize>(
    pos: &Pos,
    keyword: &str,
    fixed: [Datum; N],
    body: &[Datum],
) -> Datum {
    let mut items = vec![Datum::sym(pos, keyword)];
    items.extend(fixed);
    items.extend_from_slice(body);
    Datum::list(pos, items)
}

fn quoted(d: &Datum) -> Datum {
    Datum::list(&d.pos, vec![Datum::sym(&d.pos, "quote"), d.clone()])
}

/// Quasiquote at nesting `depth`, as an expression.
pub(crate) fn quasi(t: &Datum, depth: usize) -> Result<Datum> {
    let pos = &t.pos;
    let call = |name: &str, args: Vec<Datum>| {
        let mut items = vec![hidden(pos, name)];
        items.extend(args);
        Datum::list(pos, items)
    };
    match &t.kind {
        Kind::List(items, tail) => {
            if let [head, arg] = &items[..]
                && tail.is_none()
            {
                match head.as_sym() {
                    Some("unquote") if depth == 1 => return Ok(arg.clone()),
                    Some("unquote" | "unquote-splicing") if depth > 1 => {
                        let inner = quasi(arg, depth - 1)?;
                        return Ok(call("list", vec![quoted(head), inner]));
                    }
                    Some("quasiquote") => {
                        let inner = quasi(arg, depth + 1)?;
                        return Ok(call("list", vec![quoted(head), inner]));
                    }
                    _ => {}
                }
            }
            // `(a . ,b)` reads as `(a unquote b)`.
            let (items, mut acc) = match &items[..] {
                [init @ .., u, e]
                    if tail.is_none() && !init.is_empty() && u.as_sym() == Some("unquote") =>
                {
                    let tail = Datum::list(pos, vec![u.clone(), e.clone()]);
                    (init, quasi(&tail, depth)?)
                }
                _ => (
                    &items[..],
                    match tail {
                        Some(t) => quasi(t, depth)?,
                        None => quoted(&Datum::new(pos, Kind::Nil)),
                    },
                ),
            };
            for item in items.iter().rev() {
                acc = match item.as_list() {
                    Some([head, e]) if head.as_sym() == Some("unquote-splicing") && depth == 1 => {
                        call("append", vec![e.clone(), acc])
                    }
                    _ => call("cons", vec![quasi(item, depth)?, acc]),
                };
            }
            Ok(acc)
        }
        Kind::Vector(items) => {
            let list = Datum::list(pos, items.clone());
            Ok(call("list->vector", vec![quasi(&list, depth)?]))
        }
        _ => Ok(quoted(t)),
    }
}

/// `case` as a `let` and a `cond` on `memv`.
pub(crate) fn case(args: &[Datum], pos: &Pos) -> Result<Datum> {
    let Some((key, clauses)) = args.split_first() else {
        return Error::syntax(pos, "case needs a key and clauses");
    };
    let tmp = Datum::sym(pos, &format!("{HIDDEN}key"));
    let mut out = Vec::new();
    for clause in clauses {
        let Some([data, body @ ..]) = clause.as_list() else {
            return Error::syntax(
                &clause.pos,
                "a case clause must be ((datum...) expression...)",
            );
        };
        let test = if data.as_sym() == Some("else") {
            Datum::sym(pos, "else")
        } else if data.as_list().is_some() {
            Datum::list(pos, vec![hidden(pos, "memv"), tmp.clone(), quoted(data)])
        } else {
            return Error::syntax(
                &data.pos,
                "a case clause starts with a list of data or else",
            );
        };
        let body = match body {
            [arrow, f] if arrow.as_sym() == Some("=>") => {
                vec![Datum::list(pos, vec![f.clone(), tmp.clone()])]
            }
            [] => return Error::syntax(&clause.pos, "a case clause needs a body"),
            body => body.to_vec(),
        };
        let mut items = vec![test];
        items.extend(body);
        out.push(Datum::list(pos, items));
    }
    let binding = Datum::list(pos, vec![Datum::list(pos, vec![tmp, key.clone()])]);
    Ok(form(pos, "let", [binding], &[form(pos, "cond", [], &out)]))
}

/// `do` as a named let.
pub(crate) fn do_loop(args: &[Datum], pos: &Pos) -> Result<Datum> {
    let [specs, exit, commands @ ..] = args else {
        return Error::syntax(pos, "do needs variables, an exit clause and commands");
    };
    let Some(specs) = specs.as_list() else {
        return Error::syntax(&specs.pos, "do variables must be a list");
    };
    let Some([test, results @ ..]) = exit.as_list() else {
        return Error::syntax(&exit.pos, "do needs an exit clause (test expression...)");
    };
    let name = Datum::sym(pos, &format!("{HIDDEN}do"));
    let mut bindings = Vec::new();
    let mut steps = vec![name.clone()];
    for spec in specs {
        match spec.as_list() {
            Some([var, init, step @ ..]) if var.as_sym().is_some() && step.len() <= 1 => {
                bindings.push(Datum::list(&spec.pos, vec![var.clone(), init.clone()]));
                steps.push(step.first().unwrap_or(var).clone());
            }
            _ => return Error::syntax(&spec.pos, "a do variable must be (variable init [step])"),
        }
    }
    let done = if results.is_empty() {
        form(
            pos,
            "if",
            [
                Datum::new(pos, Kind::Bool(false)),
                Datum::new(pos, Kind::Bool(false)),
            ],
            &[],
        )
    } else {
        form(pos, "begin", [], results)
    };
    let mut again = commands.to_vec();
    again.push(Datum::list(pos, steps));
    let body = form(
        pos,
        "if",
        [test.clone(), done, form(pos, "begin", [], &again)],
        &[],
    );
    Ok(form(
        pos,
        "let",
        [name, Datum::list(pos, bindings)],
        &[body],
    ))
}

/// `define-record-type` as definitions.
pub(crate) fn record_type(args: &[Datum], pos: &Pos) -> Result<Vec<Datum>> {
    let [type_name, ctor, pred, fields @ ..] = args else {
        return Error::syntax(
            pos,
            "define-record-type needs a name, a constructor, a predicate and fields",
        );
    };
    let Some(tname) = type_name.as_sym() else {
        return Error::syntax(&type_name.pos, "a record type's name must be a symbol");
    };
    let mut field_names = Vec::new();
    let mut procs = Vec::new();
    for f in fields {
        let (name, rest) = match (f.as_sym(), f.as_list()) {
            (Some(_), _) => (f.clone(), &[][..]),
            (None, Some([name, rest @ ..])) if name.as_sym().is_some() && rest.len() <= 2 => {
                (name.clone(), rest)
            }
            _ => return Error::syntax(&f.pos, "a field must be (name [accessor [modifier]])"),
        };
        for (i, p) in rest.iter().enumerate() {
            let which = if i == 0 {
                "record-accessor"
            } else {
                "record-modifier"
            };
            let call = Datum::list(
                pos,
                vec![hidden(pos, which), type_name.clone(), quoted(&name)],
            );
            procs.push(form(pos, "define", [p.clone(), call], &[]));
        }
        field_names.push(name);
    }
    let all_fields = Datum::list(pos, field_names.clone());
    let make = Datum::list(
        pos,
        vec![
            hidden(pos, "make-record-type"),
            quoted(type_name),
            quoted(&all_fields),
        ],
    );
    let mut defs = vec![form(pos, "define", [Datum::sym(pos, tname), make], &[])];
    let (ctor_name, ctor_fields) = match (&ctor.kind, ctor.as_list()) {
        (Kind::Sym(_), _) => (Some(ctor.clone()), all_fields),
        (Kind::Bool(false), _) => (None, all_fields),
        (_, Some([name, fs @ ..])) if name.as_sym().is_some() => {
            (Some(name.clone()), Datum::list(pos, fs.to_vec()))
        }
        _ => return Error::syntax(&ctor.pos, "a record constructor must be (name field...)"),
    };
    if let Some(name) = ctor_name {
        let call = Datum::list(
            pos,
            vec![
                hidden(pos, "record-constructor"),
                type_name.clone(),
                quoted(&ctor_fields),
            ],
        );
        defs.push(form(pos, "define", [name, call], &[]));
    }
    if pred.as_sym().is_some() {
        let call = Datum::list(
            pos,
            vec![hidden(pos, "record-predicate"), type_name.clone()],
        );
        defs.push(form(pos, "define", [pred.clone(), call], &[]));
    }
    defs.extend(procs);
    Ok(defs)
}

/// `case-lambda` as a variadic lambda that applies the first clause taking
/// as many arguments as it got.
pub(crate) fn case_lambda(clauses: &[Datum], pos: &Pos) -> Result<Datum> {
    let args = Datum::sym(pos, &format!("{HIDDEN}args"));
    let n = Datum::sym(pos, &format!("{HIDDEN}n"));
    let mut tests = Vec::new();
    for clause in clauses {
        let Some([formals, body @ ..]) = clause.as_list().filter(|c| c.len() > 1) else {
            return Error::syntax(
                &clause.pos,
                "a case-lambda clause must be (formals body...)",
            );
        };
        let (required, rest) = match &formals.kind {
            Kind::Nil => (0, false),
            Kind::Sym(_) => (0, true),
            Kind::List(items, tail) => (items.len(), tail.is_some()),
            _ => return Error::syntax(&formals.pos, "case-lambda formals must be a list"),
        };
        let count = Datum::new(pos, Kind::Int(required as i64));
        let test = Datum::list(
            pos,
            vec![hidden(pos, if rest { ">=" } else { "=" }), n.clone(), count],
        );
        let clause_proc = form(pos, "lambda", [formals.clone()], body);
        let call = Datum::list(pos, vec![hidden(pos, "apply"), clause_proc, args.clone()]);
        tests.push(Datum::list(pos, vec![test, call]));
    }
    let message = Datum::new(
        pos,
        Kind::Str("case-lambda: no clause takes this many arguments:".into()),
    );
    let fail = Datum::list(pos, vec![hidden(pos, "error"), message, n.clone()]);
    tests.push(Datum::list(pos, vec![Datum::sym(pos, "else"), fail]));
    let count = Datum::list(pos, vec![hidden(pos, "length"), args.clone()]);
    let binding = Datum::list(pos, vec![Datum::list(pos, vec![n, count])]);
    let body = form(pos, "let", [binding], &[form(pos, "cond", [], &tests)]);
    Ok(form(pos, "lambda", [args], &[body]))
}

/// `(delay-force e)` as a promise of a thunk, and `(delay e)` as
/// `(delay-force (make-promise e))`; the library's `force` runs them.
pub(crate) fn delay(keyword: &str, args: &[Datum], pos: &Pos) -> Result<Datum> {
    let [expr] = args else {
        return Error::syntax(pos, format!("{keyword} takes one expression"));
    };
    let promise = |done: bool, e: Datum| {
        Datum::list(
            pos,
            vec![
                Datum::sym(pos, "%make-promise"),
                Datum::new(pos, Kind::Bool(done)),
                e,
            ],
        )
    };
    let body = if keyword == "delay" {
        promise(true, expr.clone())
    } else {
        expr.clone()
    };
    let thunk = form(pos, "lambda", [Datum::new(pos, Kind::Nil)], &[body]);
    Ok(promise(false, thunk))
}
