//! The `cb-sandbox` program, driven through a whole flow with curl.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::support::{CLIENT_ID, CLIENT_SECRET};

/// Kills the program when the test ends, however it ends.
struct Program(Child);

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn curl(args: &[&str]) -> String {
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "curl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn json_field(json: &str, name: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    value[name].as_str().unwrap_or_else(|| panic!("{name} in {json}")).to_owned()
}

#[test]
fn curl_drives_a_whole_flow_against_the_program() {
    let redirect = "http://127.0.0.1:9/callback";
    let mut child = Command::new(env!("CARGO_BIN_EXE_cb-sandbox"))
        .args(["--port", "0", "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET])
        .args(["--redirect-uri", redirect, "--auto-approve"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let program = Program(child);
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().unwrap().unwrap();
    let base = first.strip_prefix("cb-sandbox listening on ").unwrap().to_owned();

    // Authorize: with --auto-approve the answer is a redirect with a code.
    let authorize = format!(
        "{base}oauth2/auth?response_type=code&client_id={CLIENT_ID}&redirect_uri={}&state=curl-state-1\
         &scope=wallet:accounts:read,offline_access",
        "http%3A%2F%2F127.0.0.1%3A9%2Fcallback"
    );
    let location = curl(&["--output", "/dev/null", "--write-out", "%{redirect_url}", &authorize]);
    assert!(
        location.starts_with(redirect) && location.contains("state=curl-state-1"),
        "{location}"
    );
    let code = location.split(['?', '&']).find_map(|pair| pair.strip_prefix("code=")).unwrap();

    let token = curl(&[
        "--data-urlencode",
        "grant_type=authorization_code",
        "--data-urlencode",
        &format!("code={code}"),
        "--data-urlencode",
        &format!("client_id={CLIENT_ID}"),
        "--data-urlencode",
        &format!("client_secret={CLIENT_SECRET}"),
        "--data-urlencode",
        &format!("redirect_uri={redirect}"),
        &format!("{base}oauth2/token"),
    ]);
    let access = json_field(&token, "access_token");
    let refresh = json_field(&token, "refresh_token");

    let accounts = curl(&[
        "-H",
        &format!("Authorization: Bearer {access}"),
        "-H",
        "CB-VERSION: 2024-01-01",
        &format!("{base}v2/accounts"),
    ]);
    let accounts: serde_json::Value = serde_json::from_str(&accounts).unwrap();
    let balances: Vec<String> = accounts["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{} {}",
                a["balance"]["amount"].as_str().unwrap(),
                a["balance"]["currency"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        balances.contains(&"0.50000000 BTC".to_owned())
            && balances.contains(&"1000.00 USD".to_owned()),
        "{balances:?}"
    );

    drop(program);
    // One log line per request, and no secret among them.
    let log: Vec<String> = lines.map_while(Result::ok).collect();
    let requests: Vec<&String> =
        log.iter().filter(|line| line.contains(" GET ") || line.contains(" POST ")).collect();
    assert_eq!(requests.len(), 3, "{log:#?}");
    for secret in [code, access.as_str(), refresh.as_str(), CLIENT_SECRET] {
        assert!(!log.iter().any(|line| line.contains(secret)), "a secret was logged: {log:#?}");
    }
}
