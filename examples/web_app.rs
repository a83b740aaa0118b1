//! A web app that connects Coinbase accounts, on the embedded sandbox:
//!
//! ```sh
//! cargo run --example web_app
//! ```
//!
//! Open the printed address, click "Connect Coinbase", and approve on the
//! sandbox's consent page; untick a permission or click Deny to see what
//! the user sees then.

use cb_sandbox::{Sandbox, SandboxConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    sandbox.seed_demo_user();
    let app = cb_examples::web::start(&sandbox).await?;
    println!("web app: {}", app.base_url);
    println!("sandbox: {} (signed in as the demo user)", sandbox.base_url());
    println!("press Ctrl-C to stop");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
