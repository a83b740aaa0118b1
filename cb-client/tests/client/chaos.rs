//! Chaos: many rounds of forced expiry while callers are cancelled at random
//! points (before, during and after the refresh request, whose answer a
//! loopback proxy holds back), the store fails saves at random, and the
//! sandbox sometimes drops a refresh's answer after processing it.
//!
//! The invariant, checked against the sandbox's own counters: no
//! authorization is lost, except where the sandbox provably processed a
//! refresh whose answer never reached the client, and there the error is
//! `RefreshResponseLost`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use cb_client::{Error, ReauthorizationReason};
use cb_sandbox::{Fault, Times};

use crate::support::*;

const ROUNDS: u64 = 60;
const CALLERS: u64 = 8;
const SEED: u64 = 0x5EED_CB14;

#[derive(Default, Debug)]
struct Figures {
    cancelled: u64,
    completed: u64,
    store_errors: u64,
    drops_injected: u64,
    lost_answers: u64,
    unexplained_losses: u64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_authorization_is_lost_under_cancellation_store_faults_and_dropped_answers() {
    let started = Instant::now();
    let env = Env::new().await;
    let dice = Dice::new(SEED);
    let proxy = Proxy::start(env.sandbox.base_url().as_str(), SEED + 1).await;
    let store = Arc::new(FlakyStore::new(SEED + 2));
    let sandbox = env.sandbox.clone();
    let oauth = env
        .builder()
        .login_base(&proxy.base)
        .shared_store(store.clone())
        .clock(move || SystemTime::from(sandbox.now()))
        .build()
        .unwrap();
    let mut client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    proxy.hold(Duration::ZERO, Duration::from_millis(40));

    let mut figures = Figures::default();
    for round in 0..ROUNDS {
        env.sandbox.advance(Duration::from_secs(3600));
        let token_calls_before = token_calls(&env);
        let drop_answer = dice.chance(150);
        if drop_answer {
            env.sandbox.inject_fault(
                "POST",
                "/oauth2/token",
                Fault::DropAfterProcessing,
                Times::Next(1),
            );
        }
        store.set_failure_rate(300);

        let callers: Vec<_> = (0..CALLERS)
            .map(|_| {
                let client = client.clone();
                // A third of the callers wait as long as it takes; the
                // others give up after 0 to 60 ms.
                let deadline = (!dice.chance(333)).then(|| Duration::from_millis(dice.below(61)));
                tokio::spawn(async move {
                    match deadline {
                        Some(deadline) => tokio::time::timeout(deadline, client.auth_info()).await,
                        None => Ok(client.auth_info().await),
                    }
                })
            })
            .collect();
        for caller in callers {
            match caller.await.unwrap() {
                Err(_elapsed) => figures.cancelled += 1,
                Ok(Ok(_)) => figures.completed += 1,
                Ok(Err(Error::Store(_))) => figures.store_errors += 1,
                // Judged below, by the check that follows the round.
                Ok(Err(_)) => {}
            }
        }

        // Let refreshes whose callers all gave up finish, then check with
        // a healthy store and no faults.
        store.set_failure_rate(0);
        env.sandbox.clear_faults();
        let check = tokio::time::timeout(Duration::from_secs(20), client.auth_info())
            .await
            .expect("the check does not hang");
        let processed_and_dropped = drop_answer && token_calls(&env) > token_calls_before;
        figures.drops_injected += u64::from(processed_and_dropped);
        match check {
            Ok(_) => {}
            Err(Error::ReauthorizationRequired {
                reason: ReauthorizationReason::RefreshResponseLost,
            }) if processed_and_dropped => {
                figures.lost_answers += 1;
                // The user authorizes again; the rounds go on.
                client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
            }
            Err(error) => {
                eprintln!("round {round}: authorization lost: {error:?}");
                figures.unexplained_losses += 1;
                client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
            }
        }
    }

    let stats = env.sandbox.stats();
    println!(
        "chaos: {ROUNDS} rounds x {CALLERS} callers in {:.1} s (seed {SEED:#x}): \
         {} cancelled, {} completed, {} store errors; {} store faults and {} dropped refresh \
         answers injected; sandbox: {} refreshes, {} invalid_grant; \
         losses: {} provably lost answers, {} unexplained",
        started.elapsed().as_secs_f64(),
        figures.cancelled,
        figures.completed,
        figures.store_errors,
        store.injected.load(Ordering::SeqCst),
        figures.drops_injected,
        stats.refreshes,
        stats.invalid_grants,
        figures.lost_answers,
        figures.unexplained_losses,
    );
    assert_eq!(figures.unexplained_losses, 0, "{figures:?}");
    // Each lost answer made exactly one refused retry; no other refresh
    // token was ever spent twice.
    assert_eq!(stats.invalid_grants, figures.lost_answers, "{figures:?}");
    // The faults really happened.
    assert!(figures.cancelled > 0 && store.injected.load(Ordering::SeqCst) > 0, "{figures:?}");
}

/// Refresh requests the sandbox processed so far, granted or refused.
fn token_calls(env: &Env) -> u64 {
    let stats = env.sandbox.stats();
    stats.refreshes + stats.invalid_grants
}
