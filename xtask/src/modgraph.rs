//! The import graph of the server's top-level modules, and the check that it gains no
//! cycle.
//!
//! Why our own scanner instead of `cargo modules`: that tool needs rust-analyzer's crates
//! (minutes of compile on this machine, for every fresh CI) and reports item-level graphs;
//! the layering rule we keep is between top-level modules, which a small lexer over
//! `crate::…` and `super::…` paths answers exactly. Comments and string literals are blanked
//! first, so a URL or a doc example never counts as an import.
//!
//! `cargo xtask modules` prints the graph; `cargo xtask test` fails on any cycle (a pair of
//! modules importing each other, or a longer loop), on `store` importing a layer above it,
//! and on an entry point (`http`, `cli`) importing `store`. There is no list of allowed
//! exceptions: the graph is acyclic and layered, and stays so.

use crate::util::{Result, root};
use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// Modules `store` must never import: the store is the bottom layer, and every one of these
/// is built on it.
const ABOVE_STORE: &[&str] = &["service", "reactions", "lti", "jobs", "http", "cli", "vendors", "serve"];

/// The entry points: HTTP handlers and CLI commands parse and authorise, then call services
/// only; they never reach into `store` (a store type they must name is re-exported by
/// `service::records`).
const ENTRY_POINTS: &[&str] = &["http", "cli"];

/// Top-level module → the top-level modules it imports.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// The graph of `server/src`, and each top-level module's largest files (lines, path).
pub fn server_graph() -> Result<(Graph, Vec<(usize, String)>)> {
    let src = root().join("server/src");
    let modules = top_level_modules(&src.join("lib.rs"))?;
    let mut graph: Graph = modules.iter().map(|m| (m.clone(), BTreeSet::new())).collect();
    let mut sizes = Vec::new();
    for file in rust_files(&src)? {
        let rel = file.strip_prefix(&src).map_err(|e| e.to_string())?;
        let Some(path) = module_path(rel) else { continue };
        // A file the graph cannot place would hide its imports (and the imports of it): a
        // module declared in a form this reader does not know must fail, not pass.
        let Some(top) = path.first().filter(|m| modules.contains(*m)).cloned() else {
            return Err(format!(
                "server/src/{}: its top-level module is not declared in lib.rs as this check reads it \
                 (`[pub[(…)]] mod name;`)",
                rel.display()
            ));
        };
        let text = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        sizes.push((text.lines().count(), rel.display().to_string()));
        let code = blank_comments_and_strings(&text);
        if let Some(form) = hiding_form(&code) {
            return Err(format!(
                "server/src/{}: `{form}` hides which modules later paths name from this check; \
                 import by name (`use crate::module::Item`)",
                rel.display()
            ));
        }
        for dep in imports(&code, &path) {
            if dep != top && modules.contains(&dep) {
                graph.entry(top.clone()).or_default().insert(dep);
            }
        }
    }
    sizes.sort_by(|a, b| b.cmp(a));
    Ok((graph, sizes))
}

/// Pairs of modules that import each other, as `a <-> b` with `a < b`.
pub fn mutual_pairs(graph: &Graph) -> BTreeSet<String> {
    let mut pairs = BTreeSet::new();
    for (a, deps) in graph {
        for b in deps {
            if a < b && graph.get(b).is_some_and(|d| d.contains(a)) {
                pairs.insert(format!("{a} <-> {b}"));
            }
        }
    }
    pairs
}

/// Strongly connected components with more than one module (Tarjan's algorithm): every
/// cycle, however long, lies inside one of them.
pub fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out.sort();
    s.out
}

/// `cargo xtask modules`: the graph, its cycles and the largest files.
pub fn print() -> Result<()> {
    let (graph, sizes) = server_graph()?;
    println!("server/src top-level modules and what each imports:");
    for (m, deps) in &graph {
        println!("  {m:<12} -> {}", deps.iter().cloned().collect::<Vec<_>>().join(", "));
    }
    let pairs = mutual_pairs(&graph);
    println!("\npairs importing each other ({}):", pairs.len());
    for p in &pairs {
        println!("  {p}");
    }
    let sccs = cycles(&graph);
    println!("\nmodules on a cycle ({} strongly connected group(s)):", sccs.len());
    for c in &sccs {
        println!("  {}", c.join(", "));
    }
    println!("\nlargest files:");
    for (lines, path) in sizes.iter().take(10) {
        println!("  {lines:>5}  server/src/{path}");
    }
    Ok(())
}

/// The check `cargo xtask test` runs.
pub fn check() -> Result<()> {
    let (graph, _) = server_graph()?;
    check_graph(&graph)?;
    println!(
        "module graph: {} modules, no import cycle, store imports no layer above it, http and cli import no store",
        graph.len()
    );
    Ok(())
}

/// Fails on every cycle of `graph` (each strongly connected group, which is where every
/// loop lies, a pair importing each other being the shortest), on `store` importing a
/// module of [`ABOVE_STORE`] and on an [`ENTRY_POINTS`] module importing `store`.
fn check_graph(graph: &Graph) -> Result<()> {
    let mut problems = Vec::new();
    for group in cycles(graph) {
        if let [a, b] = group.as_slice() {
            problems.push(format!("import cycle: {a} <-> {b} (modules must not import each other)"));
            continue;
        }
        let edges: Vec<String> = group
            .iter()
            .flat_map(|a| graph[a].iter().filter(|b| group.contains(*b)).map(move |b| format!("{a} -> {b}")))
            .collect();
        problems.push(format!("import cycle through {} (edges: {})", group.join(", "), edges.join(", ")));
    }
    let store_deps = graph.get("store").cloned().unwrap_or_default();
    for m in ABOVE_STORE.iter().filter(|m| store_deps.contains(**m)) {
        problems.push(format!("store -> {m}: the store is the bottom layer and imports nothing above it"));
    }
    for m in ENTRY_POINTS.iter().filter(|m| graph.get(**m).is_some_and(|deps| deps.contains("store"))) {
        problems.push(format!(
            "{m} -> store: handlers and commands call services only; move the store use behind a function in \
             server/src/service/ (a type it must name: re-export it from service::records)"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("module graph of server/src (`cargo xtask modules` prints it):\n  {}", problems.join("\n  ")))
    }
}

/// The `pub mod`/`mod` names declared in `lib.rs`.
fn top_level_modules(lib: &Path) -> Result<BTreeSet<String>> {
    let text = fs::read_to_string(lib).map_err(|e| format!("{}: {e}", lib.display()))?;
    let code = blank_comments_and_strings(&text);
    Ok(code.lines().filter_map(declared_module).collect())
}

/// An import that would let later paths reach another module without naming it: a glob
/// of the crate root, or the crate root under another name.
fn hiding_form(code: &str) -> Option<&'static str> {
    let squeezed: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.contains("crate::*") || compact.contains("crate::{*") {
        return Some("use crate::*");
    }
    if squeezed.contains("crate as ") || compact.contains("crate::{selfas") {
        return Some("crate as …");
    }
    None
}

/// The module a line of `lib.rs` declares: `mod x;` with any visibility (`pub`,
/// `pub(crate)`, `pub(in …)`) and attributes before it on the same line.
fn declared_module(line: &str) -> Option<String> {
    let mut l = line.trim();
    while let Some(rest) = l.strip_prefix("#[") {
        l = rest.split_once(']')?.1.trim_start();
    }
    if let Some(rest) = l.strip_prefix("pub") {
        l = rest.trim_start();
        if let Some(rest) = l.strip_prefix('(') {
            l = rest.split_once(')')?.1.trim_start();
        }
    }
    let name = l.strip_prefix("mod ")?.trim().strip_suffix(';')?.trim();
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then(|| name.to_owned())
}

fn rust_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The module path of a file under `src/` (`store/users.rs` → `[store, users]`,
/// `store/mod.rs` → `[store]`); `None` for the crate roots and the binaries, which are
/// other crates.
fn module_path(rel: &Path) -> Option<Vec<String>> {
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.first().is_some_and(|p| p == "bin") {
        return None;
    }
    let last = parts.pop()?;
    let stem = last.strip_suffix(".rs")?;
    if stem != "mod" {
        parts.push(stem.to_owned());
    }
    if parts.is_empty() || (parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main")) {
        return None;
    }
    Some(parts)
}

/// The top-level modules named by `crate::…` and `super::…` paths in `code` (a file whose
/// module path is `path`).
fn imports(code: &str, path: &[String]) -> BTreeSet<String> {
    let bytes = code.as_bytes();
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start = i == 0 || !is_ident(bytes[i - 1]);
        if at_word_start && code[i..].starts_with("crate::") {
            i += "crate::".len();
            first_segments(code, &mut i, &mut out);
            continue;
        }
        if at_word_start && code[i..].starts_with("super::") {
            // Count the `super::`s: from `a/b.rs` one goes to `a`, two to the crate root.
            let mut ups = 0;
            while code[i..].starts_with("super::") {
                ups += 1;
                i += "super::".len();
            }
            if ups >= path.len() {
                first_segments(code, &mut i, &mut out);
            }
            continue;
        }
        i += 1;
    }
    out
}

/// Reads the path segment(s) at `*i`: one identifier, or a `{a::x, b}` group's first
/// identifiers.
fn first_segments(code: &str, i: &mut usize, out: &mut BTreeSet<String>) {
    let bytes = code.as_bytes();
    skip_space(bytes, i);
    if *i < bytes.len() && bytes[*i] == b'{' {
        *i += 1;
        let mut depth = 1;
        let mut expect_name = true;
        while *i < bytes.len() && depth > 0 {
            let c = bytes[*i];
            match c {
                b'{' => depth += 1,
                b'}' => depth -= 1,
                b',' if depth == 1 => expect_name = true,
                _ if depth == 1 && expect_name && is_ident(c) => {
                    out.insert(ident(code, i));
                    expect_name = false;
                    continue;
                }
                _ if !c.is_ascii_whitespace() && depth == 1 => expect_name = false,
                _ => {}
            }
            *i += 1;
        }
    } else if *i < bytes.len() && is_ident(bytes[*i]) {
        out.insert(ident(code, i));
    }
}

fn ident(code: &str, i: &mut usize) -> String {
    let start = *i;
    while *i < code.len() && is_ident(code.as_bytes()[*i]) {
        *i += 1;
    }
    code[start..*i].to_owned()
}

fn skip_space(bytes: &[u8], i: &mut usize) {
    while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
        *i += 1;
    }
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `text` with every comment and the inside of every string and char literal replaced by
/// spaces (newlines kept), so only code is scanned.
fn blank_comments_and_strings(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |p| i + p);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let (mut depth, mut j) = (1, i + 2);
                while j < b.len() && depth > 0 {
                    if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                        depth += 1;
                        j += 2;
                    } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                        depth -= 1;
                        j += 2;
                    } else {
                        j += 1;
                    }
                }
                blank(&mut out, i, j);
                i = j;
            }
            b'r' if (i == 0 || !is_ident(b[i - 1])) && matches!(b.get(i + 1), Some(b'"' | b'#')) => {
                // A raw string: r"…", r#"…"#, …
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
                let body = i + 2 + hashes;
                let end =
                    b[body..].windows(close.len()).position(|w| w == close.as_slice()).map_or(b.len(), |p| body + p);
                blank(&mut out, body, end);
                i = (end + close.len()).min(b.len());
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, i + 1, j.min(b.len()));
                i = j + 1;
            }
            b'\'' => {
                // A char literal ('x', '\n', '\u{..}') or a lifetime ('a): only the first
                // is blanked.
                let end = if b.get(i + 1) == Some(&b'\\') {
                    b.get(i + 3..).and_then(|rest| rest.iter().position(|&c| c == b'\'')).map(|p| i + 3 + p)
                } else if b.get(i + 2) == Some(&b'\'') {
                    Some(i + 2)
                } else {
                    // A multi-byte char literal: find a closing quote within 4 bytes.
                    (2..=5).find(|k| b.get(i + k) == Some(&b'\'') && !b[i + 1..i + k].is_ascii()).map(|k| i + k)
                };
                match end {
                    Some(end) => {
                        blank(&mut out, i + 1, end);
                        i = end + 1;
                    }
                    None => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &str)]) -> Graph {
        let mut g = Graph::new();
        for (a, b) in edges {
            g.entry((*a).to_owned()).or_default().insert((*b).to_owned());
            g.entry((*b).to_owned()).or_default();
        }
        g
    }

    #[test]
    fn paths_in_use_groups_code_and_super_are_found() {
        let code = blank_comments_and_strings(
            "use crate::{store::users, events::{Event, hooks}, self};\n\
             use super::super::jobs::x;\n\
             fn f() { crate::vault::open(); let s = \"crate::http\"; } // crate::lti\n\
             /* crate::cli */ let c = '\"'; let l: &'static str = \"x\"; crate::email::send();",
        );
        let found = imports(&code, &["service".to_owned(), "submit".to_owned()]);
        let want: BTreeSet<String> =
            ["store", "events", "self", "jobs", "vault", "email"].into_iter().map(str::to_owned).collect();
        assert_eq!(found, want);
    }

    #[test]
    fn super_inside_a_module_stays_inside_it() {
        let code = blank_comments_and_strings("use super::users; use super::super::http;");
        let found = imports(&code, &["store".to_owned(), "x".to_owned()]);
        assert_eq!(found, ["http".to_owned()].into_iter().collect());
    }

    #[test]
    fn raw_strings_are_blanked() {
        let code = blank_comments_and_strings("let q = r#\"crate::store \"quoted\"\"#; crate::jobs::run();");
        assert_eq!(imports(&code, &["x".to_owned()]), ["jobs".to_owned()].into_iter().collect());
    }

    #[test]
    fn cycles_and_pairs() {
        let g = graph(&[("a", "b"), ("b", "a"), ("b", "c"), ("c", "d"), ("d", "b"), ("e", "a")]);
        assert_eq!(mutual_pairs(&g), ["a <-> b".to_owned()].into_iter().collect());
        assert_eq!(cycles(&g), vec![vec!["a", "b", "c", "d"]]);
        assert!(cycles(&graph(&[("a", "b"), ("b", "c")])).is_empty());
    }

    #[test]
    fn the_check_fails_on_any_cycle_and_on_the_store_importing_upwards() {
        // A layered graph passes.
        let layered = graph(&[("http", "service"), ("service", "store"), ("jobs", "service"), ("store", "config")]);
        assert!(check_graph(&layered).is_ok());
        // A pair importing each other fails, naming it.
        let pair = graph(&[("service", "jobs"), ("jobs", "service"), ("service", "store")]);
        let e = check_graph(&pair).expect_err("a cycle of two");
        assert!(e.contains("jobs <-> service"), "{e}");
        // A longer loop without any pair fails too, naming its modules.
        let loop3 = graph(&[("config", "email"), ("email", "service"), ("service", "config")]);
        assert!(mutual_pairs(&loop3).is_empty());
        let e = check_graph(&loop3).expect_err("a cycle of three");
        assert!(e.contains("config, email, service"), "{e}");
        // The store importing a layer above it fails even without a cycle.
        let e = check_graph(&graph(&[("store", "vendors")])).expect_err("store above");
        assert!(e.contains("store -> vendors"), "{e}");
    }

    #[test]
    fn the_check_fails_on_an_entry_point_importing_the_store() {
        // Through the service layer: passes.
        let layered = graph(&[("http", "service"), ("cli", "service"), ("service", "store"), ("cli", "http")]);
        assert!(check_graph(&layered).is_ok());
        // Straight into the store, without any cycle: fails, naming the edge and the fix.
        let e = check_graph(&graph(&[("http", "service"), ("http", "store"), ("service", "store")]))
            .expect_err("http -> store");
        assert!(e.contains("http -> store") && e.contains("call services only"), "{e}");
        assert!(!e.contains("cli -> store"), "{e}");
        let e = check_graph(&graph(&[("cli", "store")])).expect_err("cli -> store");
        assert!(e.contains("cli -> store"), "{e}");
        // Other layers above the store may import it.
        assert!(check_graph(&graph(&[("jobs", "store"), ("reactions", "store"), ("lti", "store")])).is_ok());
    }

    #[test]
    fn a_store_path_in_an_entry_point_file_is_an_edge() {
        // What the rule sees in a handler: a path into the store, in any form, is an import;
        // the same words in a comment or a string are not.
        for code in [
            "use crate::store::users;",
            "use crate::{service::Services, store::users::User};",
            "fn f() { crate::store::users::by_id(); }",
            "use super::super::store::Store;",
        ] {
            let found = imports(&blank_comments_and_strings(code), &["http".to_owned(), "rest".to_owned()]);
            assert!(found.contains("store"), "{code}");
        }
        let code =
            blank_comments_and_strings("// crate::store::x\nlet s = \"crate::store\"; crate::service::records::User;");
        assert!(!imports(&code, &["cli".to_owned()]).contains("store"));
    }

    #[test]
    fn imports_that_hide_a_module_fail() {
        assert_eq!(hiding_form("use crate::*;"), Some("use crate::*"));
        assert_eq!(hiding_form("use crate :: { * };"), Some("use crate::*"));
        assert_eq!(hiding_form("use crate as c;"), Some("crate as …"));
        assert_eq!(hiding_form("use crate::{self as root, store};"), Some("crate as …"));
        assert_eq!(hiding_form("use crate::{store::Store, service::Services};"), None);
        assert_eq!(hiding_form("use super::*;"), None);
    }

    #[test]
    fn module_declarations_in_every_form() {
        for (line, want) in [
            ("pub mod store;", Some("store")),
            ("mod glue;", Some("glue")),
            ("pub(crate) mod glue;", Some("glue")),
            ("pub(in crate) mod glue;", Some("glue")),
            ("#[cfg(feature = \"x\")] pub(crate) mod glue;", Some("glue")),
            ("  #[doc(hidden)] #[allow(unused)] mod glue ;", Some("glue")),
            ("pub mod store {", None),
            ("pub use store::Store;", None),
        ] {
            assert_eq!(declared_module(line).as_deref(), want, "{line}");
        }
    }

    #[test]
    fn module_paths() {
        assert_eq!(module_path(Path::new("store/users.rs")), Some(vec!["store".into(), "users".into()]));
        assert_eq!(module_path(Path::new("store/mod.rs")), Some(vec!["store".into()]));
        assert_eq!(module_path(Path::new("config.rs")), Some(vec!["config".into()]));
        assert_eq!(module_path(Path::new("lib.rs")), None);
        assert_eq!(module_path(Path::new("bin/fake-vendor.rs")), None);
    }
}
