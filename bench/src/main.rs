//! `cargo run -p cb-bench --release`: every figure of BENCHMARKS.md, in one
//! run. Ratios of medians, never bare times alone: machines are noisy.
//!
//! `-- --quick` runs smaller sizes, to check that the benchmark works;
//! `-- --only compile` or `-- --only runtime` runs one half.

mod compile;
mod runtime;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use compile::{Generated, Variant};

/// The median of some timings.
fn median(mut timings: Vec<Duration>) -> Duration {
    timings.sort();
    timings.get(timings.len() / 2).copied().unwrap_or_default()
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn micros(duration: Duration) -> String {
    format!("{:.1} µs", duration.as_secs_f64() * 1e6)
}

/// valgrind's arguments for an instruction count: cachegrind without its
/// cache simulation, its summary on stderr or `--log-file`, no output file.
const CACHEGRIND: [&str; 3] =
    ["--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"];

/// Whether valgrind, which counts instructions, is installed.
fn valgrind_available() -> bool {
    std::process::Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The instruction count in cachegrind's summary, whose last line reads
/// `==pid== I   refs:      1,234,567`.
fn instructions_in(summary: &str) -> Option<u64> {
    let line = summary.lines().rev().find(|line| line.contains("I   refs:"))?;
    let digits: String = line.rsplit(':').next()?.chars().filter(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    // Cargo's `RUSTC_WRAPPER`, for `Generated::check_instructions`.
    if let Some(log) = std::env::var_os(compile::CACHEGRIND_LOG) {
        std::process::exit(compile::wrap_rustc(std::path::Path::new(&log), &args[1..]));
    }
    // The child process of `runtime::instructions_per_request`.
    if let [_, flag, way, requests] = args.as_slice()
        && flag == "--probe"
    {
        let (way, requests) = (way.parse()?, requests.parse()?);
        tokio::task::spawn_blocking(move || runtime::probe(way, requests)).await?;
        return Ok(());
    }
    let quick = args.iter().any(|arg| arg == "--quick");
    let only = args.iter().position(|arg| arg == "--only").and_then(|at| args.get(at + 1));
    let (compile, runtime) = match only.map(String::as_str) {
        None => (true, true),
        Some("compile") => (true, false),
        Some("runtime") => (false, true),
        Some(other) => return Err(format!("--only takes compile or runtime, not {other}").into()),
    };
    let started = Instant::now();
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize()?;
    let root = workspace.join("target/bench-gen");
    let runs = if quick { 1 } else { 5 };
    let sizes: &[usize] = if quick { &[50, 100] } else { &[500, 2000] };
    let scaling: &[usize] = if quick { &[25, 50, 100] } else { &[250, 500, 1000, 2000, 5000] };

    println!("# cb-scopes benchmarks");
    println!(
        "machine: {} cores; runs per figure: {runs} (median)\n",
        std::thread::available_parallelism()?.get()
    );

    if compile {
        compile_figures(&root, &workspace, runs, sizes, scaling)?;
    }
    if runtime {
        runtime_figures(quick).await?;
    }
    println!("\ntotal benchmark time: {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Tables 1, 1b, 1c, 2 and 7: what the attribute costs at compile time, and
/// that it costs nothing at run time.
fn compile_figures(
    root: &std::path::Path,
    workspace: &std::path::Path,
    runs: usize,
    sizes: &[usize],
    scaling: &[usize],
) -> Result<(), Box<dyn std::error::Error>> {
    println!("## 1. Compile time after touching the crate (median of {runs})\n");
    println!(
        "| N | command | annotated | identity | instrument | plain | annotated/plain | identity/plain | annotated/instrument |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut check_ratios = Vec::new();
    let mut versus_instrument = Vec::new();
    let mut annotated_check = std::collections::BTreeMap::new();
    for &n in sizes {
        let crates: Vec<Generated> = Variant::ALL
            .iter()
            .map(|&v| Generated::write(root, workspace, v, n))
            .collect::<Result<_, _>>()?;
        for command in ["check", "build"] {
            let timings =
                compile::time_side_by_side(&crates.iter().collect::<Vec<_>>(), command, runs);
            let times: Vec<Duration> = timings.iter().map(|t| median(t.clone())).collect();
            let (annotated, identity, instrument, plain) = (times[0], times[1], times[2], times[3]);
            let over_plain = compile::median_ratio(&timings[0], &timings[3]);
            let identity_over_plain = compile::median_ratio(&timings[1], &timings[3]);
            let over_instrument = compile::median_ratio(&timings[0], &timings[2]);
            if command == "check" {
                check_ratios.push(over_plain);
                annotated_check.insert(n, annotated);
            }
            versus_instrument.push(over_instrument);
            println!(
                "| {n} | {command} | {} | {} | {} | {} | {over_plain:.2} | {identity_over_plain:.2} | {over_instrument:.2} |",
                ms(annotated),
                ms(identity),
                ms(instrument),
                ms(plain)
            );
        }
    }
    // The targets: 1.15 at the smaller size, 1.25 at the larger.
    let check_ok = check_ratios.first().is_some_and(|ratio| *ratio <= 1.15)
        && check_ratios.last().is_some_and(|ratio| *ratio <= 1.25);
    let instrument_ok = versus_instrument.iter().all(|ratio| *ratio < 0.25);
    println!(
        "\ntarget annotated/plain for check <= 1.15 at N = {}, <= 1.25 at N = {}: {}",
        sizes[0],
        sizes[sizes.len() - 1],
        verdict(check_ok)
    );
    println!("target annotated/instrument < 0.25: {}\n", verdict(instrument_ok));

    let n = sizes[sizes.len() - 1];
    let counted = [Variant::Annotated, Variant::Identity, Variant::Plain].map(|variant| {
        Generated::write(root, workspace, variant, n).map(|g| g.check_instructions())
    });
    match counted {
        [Ok(Some(annotated)), Ok(Some(identity)), Ok(Some(plain))] => {
            let over_identity = annotated as f64 / identity as f64;
            println!(
                "instructions rustc runs for check at N = {n} (valgrind): annotated {annotated}, \
                 identity {identity}, plain {plain}; annotated/identity {over_identity:.3} \
                 (aim <= 1.03: {}), annotated/plain {:.3}\n",
                verdict(over_identity <= 1.03),
                annotated as f64 / plain as f64
            );
        }
        _ => println!("instructions for check: not counted (no valgrind, or it failed)\n"),
    }

    println!("## 1b. What the attribute costs per function (check, N = {n}, median of {runs})\n");
    println!(
        "| scopes per function | check | over plain, per function (median of per-run ratios) |\n|---|---|---|"
    );
    let crates = [Variant::Plain, Variant::AnnotatedOne, Variant::Annotated]
        .map(|variant| Generated::write(root, workspace, variant, n))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let timings = compile::time_side_by_side(&crates.iter().collect::<Vec<_>>(), "check", runs);
    let plain = median(timings[0].clone());
    println!("| 0 (plain) | {} | |", ms(plain));
    for (scopes, times) in [(1, &timings[1]), (3, &timings[2])] {
        let time = median(times.clone());
        let each =
            (compile::median_ratio(times, &timings[0]) - 1.0) * plain.as_secs_f64() / n as f64;
        println!("| {scopes} | {} | {:.3} ms |", ms(time), each * 1000.0);
    }
    println!();

    println!("## 1c. async functions (check, median of {runs})\n");
    println!("| N | async annotated | async plain | annotated/plain |\n|---|---|---|---|");
    for &n in sizes {
        let annotated = Generated::write(root, workspace, Variant::AsyncAnnotated, n)?;
        let plain = Generated::write(root, workspace, Variant::AsyncPlain, n)?;
        let timings = compile::time_side_by_side(&[&annotated, &plain], "check", runs);
        println!(
            "| {n} | {} | {} | {:.2} |",
            ms(median(timings[0].clone())),
            ms(median(timings[1].clone())),
            compile::median_ratio(&timings[0], &timings[1])
        );
    }
    println!();

    println!("## 2. Zero run-time cost\n");
    let n = sizes[0];
    let annotated = Generated::write(root, workspace, Variant::Annotated, n)?.release_disassembly();
    let plain = Generated::write(root, workspace, Variant::Plain, n)?.release_disassembly();
    let functions = annotated.lines().filter(|line| line.ends_with(':')).count();
    let identical = annotated == plain && functions > 0;
    println!(
        "release machine code of the {functions} functions of the N = {n} crate, annotated vs plain: {}",
        if identical { "identical" } else { "DIFFERENT" }
    );
    println!(
        "size of a scope set: {} bytes; of a Grant: {} bytes\n",
        size_of::<cb_scopes::scopes!(wallet:accounts:read)>(),
        size_of::<cb_scopes::Grant<cb_scopes::scopes!(wallet:accounts:read)>>()
    );

    println!("## 7. Scaling of `cargo check` with N (annotated)\n");
    println!("| N | check | per function |\n|---|---|---|");
    let mut per_function = Vec::new();
    for &n in scaling {
        let time = match annotated_check.get(&n) {
            Some(time) => *time,
            None => Generated::write(root, workspace, Variant::Annotated, n)?.time("check", runs),
        };
        let each = time / n as u32;
        per_function.push(each.as_secs_f64());
        println!("| {n} | {} | {:.3} ms |", ms(time), each.as_secs_f64() * 1000.0);
    }
    // Linear growth keeps the time per function flat (a fixed start-up cost
    // makes it fall); quadratic growth would double it with each doubling.
    let first = per_function.first().copied().unwrap_or(1.0);
    let last = per_function.last().copied().unwrap_or(1.0);
    println!(
        "\nper-function time at the largest N / at the smallest: {:.2} (linear if <= 1.5: {})",
        last / first,
        verdict(last / first <= 1.5)
    );

    Ok(())
}

/// Tables 3 to 6: the client against the sandbox, and the token stores.
async fn runtime_figures(quick: bool) -> Result<(), Box<dyn std::error::Error>> {
    println!("\n## 3. Client overhead: client.accounts() vs the same request by hand\n");
    let (blocks, per_block) = if quick { (2, 50) } else { (10, 300) };
    let [typed, by_hand, undecoded, by_hand_again] =
        runtime::client_overhead(blocks, per_block).await;
    println!("| | requests/s | p50 | p99 |\n|---|---|---|---|");
    for (name, latencies) in [
        ("cb-client", &typed),
        ("by hand: reqwest + serde_json into the same types", &by_hand),
        ("by hand, body left undecoded", &undecoded),
    ] {
        println!(
            "| {name} | {:.0} | {} | {} |",
            latencies.requests_per_second(),
            micros(latencies.percentile(0.5)),
            micros(latencies.percentile(0.99))
        );
    }
    let overhead = runtime::block_ratio(&typed, &by_hand, per_block);
    let over_undecoded = runtime::block_ratio(&typed, &undecoded, per_block);
    let own_error = runtime::block_ratio(&by_hand_again, &by_hand, per_block);
    println!(
        "\ncost per request (median over {blocks} blocks of {per_block} interleaved requests of \
         each block's median), cb-client / by hand: {overhead:.3} (target <= 1.03: {}); \
         cb-client / undecoded: {over_undecoded:.3}; by hand / by hand, the measurement's own \
         error: {own_error:.3}",
        verdict(overhead <= 1.03)
    );
    let (few, many) = if quick { (20, 70) } else { (100, 600) };
    match runtime::instructions_per_request(few, many) {
        Some([typed, by_hand, undecoded]) => println!(
            "instructions per request, client and sandbox (valgrind, {many} requests less {few}): \
             cb-client {typed:.0}, by hand {by_hand:.0}, undecoded {undecoded:.0}; \
             cb-client / by hand: {:.3} (target <= 1.03: {})",
            typed / by_hand,
            verdict(typed / by_hand <= 1.03)
        ),
        None => println!("instructions per request: not counted (no valgrind, or it failed)"),
    }
    let [typed_allocations, by_hand_allocations, undecoded_allocations] =
        runtime::allocations_per_request(if quick { 50 } else { 1000 }).await;
    println!(
        "allocations per request on the requesting thread: cb-client {typed_allocations:.1}, \
         by hand {by_hand_allocations:.1}, undecoded {undecoded_allocations:.1}\n"
    );

    println!("## 4. Refresh under load\n");
    let tasks = if quick { 100 } else { 1000 };
    let (refreshes, elapsed, failures) = runtime::refresh_under_load(tasks).await;
    println!(
        "{tasks} concurrent calls on an expired token: {refreshes} refresh request(s), {failures} failed, all done in {} (target 1 refresh: {})\n",
        ms(elapsed),
        verdict(refreshes == 1 && failures == 0)
    );

    println!("## 5. Sandbox throughput on GET /v2/accounts\n");
    let (total, limit) =
        if quick { (500, Duration::from_secs(5)) } else { (20_000, Duration::from_secs(30)) };
    let (answered, elapsed) = runtime::sandbox_throughput(16, total, limit).await;
    println!(
        "16 concurrent clients, {answered} requests in {}: {:.0} requests/s\n",
        ms(elapsed),
        answered as f64 / elapsed.as_secs_f64()
    );

    println!("## 6. Token stores: refresh round trips (lock, load, save, unlock)\n");
    let (limit, max) =
        if quick { (Duration::from_secs(1), 200) } else { (Duration::from_secs(5), 5_000) };
    let dir = tempfile::tempdir()?;
    let file: std::sync::Arc<dyn cb_client::TokenStore> =
        std::sync::Arc::new(cb_client::FileStore::new(dir.path())?);
    println!("FileStore: {:.0} round trips/s", runtime::store_round_trips(file, limit, max).await?);
    match std::env::var("DATABASE_URL") {
        Ok(url) => {
            let pg: std::sync::Arc<dyn cb_client::TokenStore> = std::sync::Arc::new(
                cb_client::PgStore::builder(url).table("cb_bench_tokens").connect().await?,
            );
            println!(
                "PgStore (this machine's PostgreSQL): {:.0} round trips/s\n",
                runtime::store_round_trips(pg, limit, max).await?
            );
        }
        Err(_) => println!("PgStore: not measured (set DATABASE_URL)\n"),
    }

    Ok(())
}
