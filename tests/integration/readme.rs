//! The README shows a real compiler error, whole: the one CI checks in the
//! ui suite, which rustc reports once.

#[test]
fn the_readme_shows_the_compiler_error_ci_checks() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../README.md")).unwrap();
    let stderr = std::fs::read_to_string(
        root.join("ui/fail/client/client_send_money_without_send_scope.stderr"),
    )
    .unwrap();
    let output = stderr.trim_end();
    assert!(output.starts_with("error[E0277]: missing OAuth scope `wallet:transactions:send`"));
    assert_eq!(output.matches("error[").count(), 1, "one missing scope, one error:\n{output}");
    assert!(
        readme.contains(output),
        "README.md no longer shows the error in {}",
        "client_send_money_without_send_scope.stderr"
    );
}
