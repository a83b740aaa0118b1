//! The layering `ARCHITECTURE.md` promises: within each crate, no two
//! source files import each other, directly or through a longer circle.
//!
//! Every `use` and every path that starts with `crate`, `self` or `super`
//! is resolved to the file that defines what it names, following `pub use`
//! re-exports (so importing `crate::Error` is an import of `error.rs`, not
//! of `lib.rs`). Declaring a module (`mod x;`) is not an import. Test
//! modules (`#[cfg(test)]`) are left out: they may reach anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

const CRATES: &[&str] = &["cb-scopes-derive", "cb-scopes", "cb-client", "cb-axum", "cb-sandbox"];

/// A module path inside a crate: `[]` for the root, `["api", "client"]`.
type ModulePath = Vec<String>;

struct SourceFile {
    path: PathBuf,
    syntax: syn::File,
}

/// What one file imports: every path it names, made absolute, and the names
/// it re-exports with where they come from.
#[derive(Default)]
struct Imports {
    paths: Vec<ModulePath>,
    reexports: BTreeMap<String, ModulePath>,
    /// Macros exported at the crate's root but written in this file.
    exported_macros: BTreeSet<String>,
}

struct Collector<'a> {
    files: &'a BTreeMap<ModulePath, SourceFile>,
    /// The file's module, then any inline modules inside it.
    module: ModulePath,
    depth: usize,
    imports: Imports,
}

impl Collector<'_> {
    /// The absolute form of a path written in the current module, if it
    /// names something of this crate.
    fn absolute(&self, segments: &[String]) -> Option<ModulePath> {
        let (first, rest) = segments.split_first()?;
        let mut base = match first.as_str() {
            "crate" => return Some(rest.to_vec()),
            "self" => self.module.clone(),
            "super" => {
                let mut base = self.module.clone();
                let mut rest = rest;
                base.pop();
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                base.extend(rest.iter().cloned());
                return Some(base);
            }
            // A child module of this one, named without `self::`.
            _ => {
                let mut child = self.module.clone();
                child.push(first.clone());
                if !self.files.contains_key(&child) {
                    return None;
                }
                self.module.clone()
            }
        };
        if first != "self" {
            base.push(first.clone());
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree, public: bool) {
        // A path, and the name it is imported as (none for a glob).
        let record = |this: &mut Self, prefix: &[String], local: Option<&str>| {
            if let Some(path) = this.absolute(prefix) {
                if let (true, Some(local)) = (public && this.depth == 0, local) {
                    this.imports.reexports.insert(local.to_owned(), path.clone());
                }
                this.imports.paths.push(path);
            }
        };
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree, public);
                prefix.pop();
            }
            syn::UseTree::Name(name) => {
                let ident = name.ident.to_string();
                if ident == "self" {
                    let local = prefix.last().cloned().unwrap_or_default();
                    record(self, &prefix.clone(), Some(&local));
                } else {
                    prefix.push(ident.clone());
                    record(self, &prefix.clone(), Some(&ident));
                    prefix.pop();
                }
            }
            syn::UseTree::Rename(rename) => {
                prefix.push(rename.ident.to_string());
                let local = rename.rename.to_string();
                record(self, &prefix.clone(), Some(&local));
                prefix.pop();
            }
            syn::UseTree::Glob(_) => record(self, &prefix.clone(), None),
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(prefix, tree, public);
                }
            }
        }
    }
}

fn is_test_module(item: &syn::ItemMod) -> bool {
    item.attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr.parse_args::<syn::Meta>().is_ok_and(|meta| meta.path().is_ident("test"))
    })
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if is_test_module(item) || item.content.is_none() {
            return;
        }
        self.module.push(item.ident.to_string());
        self.depth += 1;
        syn::visit::visit_item_mod(self, item);
        self.depth -= 1;
        self.module.pop();
    }

    fn visit_item_macro(&mut self, item: &'ast syn::ItemMacro) {
        if let Some(name) = &item.ident
            && item.attrs.iter().any(|attr| attr.path().is_ident("macro_export"))
        {
            self.imports.exported_macros.insert(name.to_string());
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let public = !matches!(item.vis, syn::Visibility::Inherited);
        self.use_tree(&mut Vec::new(), &item.tree, public);
    }

    // `pub(crate)` and `pub(super)` name modules without importing them.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if matches!(segments.first().map(String::as_str), Some("crate" | "self" | "super"))
            && let Some(path) = self.absolute(&segments)
        {
            self.imports.paths.push(path);
        }
        syn::visit::visit_path(self, path);
    }
}

/// Every file of the library under `src`, by module path.
fn modules(src: &Path) -> BTreeMap<ModulePath, SourceFile> {
    let mut files = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") || path.ends_with("src/main.rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap().with_extension("");
            let mut module: ModulePath =
                relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let syntax = syn::parse_file(&text)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            files.insert(module, SourceFile { path, syntax });
        }
    }
    // A module declared with `#[path = "file.rs"]` is named by its
    // declaration, not by its file.
    let mut renamed = Vec::new();
    for (parent, file) in &files {
        for item in &file.syntax.items {
            let syn::Item::Mod(declaration) = item else { continue };
            let Some(target) = declaration.attrs.iter().find_map(|attr| match &attr.meta {
                syn::Meta::NameValue(pair) if pair.path.is_ident("path") => match &pair.value {
                    syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
                    _ => None,
                },
                _ => None,
            }) else {
                continue;
            };
            let target = file.path.parent().unwrap().join(target);
            if let Some((old, _)) = files.iter().find(|(_, f)| f.path == target) {
                let mut new = parent.clone();
                new.push(declaration.ident.to_string());
                renamed.push((old.clone(), new));
            }
        }
    }
    for (old, new) in renamed {
        let file = files.remove(&old).unwrap();
        files.insert(new, file);
    }
    files
}

/// The file that defines what `path` names, following re-exports.
fn defining_file(
    path: &[String],
    imports: &BTreeMap<ModulePath, Imports>,
    hops: usize,
) -> Option<ModulePath> {
    let file =
        (0..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| imports.contains_key(p))?;
    if file.is_empty()
        && let Some(name) = path.first()
        && let Some((writer, _)) =
            imports.iter().find(|(_, imported)| imported.exported_macros.contains(name))
    {
        return Some(writer.clone());
    }
    if hops < 16
        && let Some(name) = path.get(file.len())
        && let Some(source) = imports[&file].reexports.get(name)
    {
        let mut through = source.clone();
        through.extend(path[file.len() + 1..].iter().cloned());
        return defining_file(&through, imports, hops + 1).or(Some(file));
    }
    Some(file)
}

/// The circles of imports between files, each as a list of files.
fn circles(crate_dir: &Path) -> Vec<Vec<String>> {
    let files = modules(&crate_dir.join("src"));
    let imports: BTreeMap<ModulePath, Imports> = files
        .iter()
        .map(|(module, file)| {
            let mut collector = Collector {
                files: &files,
                module: module.clone(),
                depth: 0,
                imports: Imports::default(),
            };
            collector.visit_file(&file.syntax);
            (module.clone(), collector.imports)
        })
        .collect();
    let mut edges: BTreeMap<&ModulePath, BTreeSet<ModulePath>> = BTreeMap::new();
    for (module, imported) in &imports {
        let targets = edges.entry(module).or_default();
        for path in &imported.paths {
            if let Some(target) = defining_file(path, &imports, 0)
                && &target != module
            {
                targets.insert(target);
            }
        }
    }
    // Tarjan's strongly connected components (recursive: a crate has a few
    // dozen files): a component of more than one file is a circle.
    struct Tarjan<'a> {
        edges: &'a BTreeMap<&'a ModulePath, BTreeSet<ModulePath>>,
        index: BTreeMap<ModulePath, (usize, usize)>,
        stack: Vec<ModulePath>,
        next: usize,
        found: Vec<Vec<ModulePath>>,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, node: &ModulePath) {
            self.index.insert(node.clone(), (self.next, self.next));
            self.next += 1;
            self.stack.push(node.clone());
            for next in self.edges.get(node).into_iter().flatten() {
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.index[next].1.min(self.index[node].1);
                    self.index.get_mut(node).unwrap().1 = low;
                } else if self.stack.contains(next) {
                    let low = self.index[next].0.min(self.index[node].1);
                    self.index.get_mut(node).unwrap().1 = low;
                }
            }
            let (index, low) = self.index[node];
            if index == low {
                let at = self.stack.iter().rposition(|n| n == node).unwrap();
                let component = self.stack.split_off(at);
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        edges: &edges,
        index: BTreeMap::new(),
        stack: Vec::new(),
        next: 0,
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !tarjan.index.contains_key(*node) {
            tarjan.visit(node);
        }
    }
    tarjan
        .found
        .into_iter()
        .map(|component| {
            component
                .iter()
                .map(|module| {
                    let path = &files[module].path;
                    path.strip_prefix(crate_dir).unwrap_or(path).display().to_string()
                })
                .collect()
        })
        .collect()
}

#[test]
fn no_two_files_of_a_crate_import_each_other() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut found = Vec::new();
    for name in CRATES {
        for circle in circles(&workspace.join(name)) {
            found.push(format!("{name}: {}", circle.join(" -> ")));
        }
    }
    assert!(found.is_empty(), "files that import each other:\n{}", found.join("\n"));
}

#[test]
fn a_circle_is_found() {
    // The check itself can fail: two files that import each other.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "mod a; mod b; pub use a::A; pub use b::B;").unwrap();
    std::fs::write(src.join("a/mod.rs"), "mod inner; pub struct A(crate::B);").unwrap();
    std::fs::write(src.join("a/inner.rs"), "use super::super::b::B;").unwrap();
    std::fs::write(
        src.join("b.rs"),
        "pub struct B; fn f(_: crate::A) {} #[cfg(test)] mod tests { use crate::a::inner; }",
    )
    .unwrap();
    let found = circles(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    let mut circle = found[0].clone();
    circle.sort();
    assert_eq!(circle, ["src/a/mod.rs", "src/b.rs"]);
}
