//! `cb-sandbox`: runs the Coinbase emulator as a program, for developing an
//! app against it by hand.

use std::net::{IpAddr, SocketAddr};

use cb_sandbox::{Sandbox, SandboxConfig};
use clap::Parser;

/// A local emulator of Coinbase's OAuth2 service and v2 API.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The port to listen on.
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// The address to listen on; keep it a loopback address.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// The OAuth client id to register.
    #[arg(long)]
    client_id: String,
    /// The client secret to register.
    #[arg(long)]
    client_secret: String,
    /// A redirect URI of the client; repeat for several.
    #[arg(long = "redirect-uri", required = true)]
    redirect_uris: Vec<String>,
    /// Approve every authorization as requested, redirecting straight back
    /// without the consent page, so that curl can drive a whole flow.
    #[arg(long)]
    auto_approve: bool,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("cb_sandbox=info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_target(false).init();

    let args = Args::parse();
    let mut config = SandboxConfig::default();
    config.auto_approve = args.auto_approve;
    let sandbox = Sandbox::start_on(SocketAddr::new(args.host, args.port), config).await?;
    sandbox.register_client(&args.client_id, &args.client_secret, &args.redirect_uris);
    let user = sandbox.seed_demo_user();

    println!("cb-sandbox listening on {}", sandbox.base_url());
    println!("  authorize: {}", sandbox.authorize_endpoint());
    println!("  token:     {}", sandbox.token_endpoint());
    println!("  API:       {}v2/", sandbox.base_url());
    println!("  demo user: {user} (0.5 BTC, 1000.00 USD)");
    if args.auto_approve {
        println!("  consent:   automatic (--auto-approve)");
    }
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await;
    Ok(())
}
