//! The binary's command line: startup failures are Redis-style and exit 1, help/version exit 0.
//! (Being an integration test of this package also makes `cargo test --workspace` build the
//! binary that the tests/ package starts.)

use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrokv-server"))
        .args(args)
        .output()
        .expect("the server binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_value_is_a_fatal_config_error() {
    let (code, _, err) = run(&["--port", "abc"]);
    assert_eq!(code, 1);
    assert!(err.contains("*** FATAL CONFIG FILE ERROR"), "{err}");
    assert!(err.contains(">>> 'port \"abc\"'"), "{err}");
    assert!(
        err.contains("argument couldn't be parsed into an integer"),
        "{err}"
    );
}

#[test]
fn unknown_directive_is_fatal() {
    let (code, _, err) = run(&["--no-such-directive", "1"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("Bad directive or wrong number of arguments"),
        "{err}"
    );
}

#[test]
fn appendonly_yes_is_refused_until_persistence_exists() {
    let (code, _, err) = run(&["--appendonly", "yes"]);
    assert_eq!(code, 1);
    assert!(err.contains("FATAL CONFIG FILE ERROR"), "{err}");
}

#[test]
fn version_exits_zero() {
    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, 0);
    assert!(out.contains("ferrokv-server v=0.1.0"), "{out}");
}

/// A port another ferrokv listens on is refused, as Redis refuses it, rather than silently
/// shared through SO_REUSEPORT (the two servers would split the connections between them).
#[test]
fn a_port_in_use_by_another_server_is_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
        .to_string();
    let mut first = Command::new(env!("CARGO_BIN_EXE_ferrokv-server"))
        .args(["--port", &port, "--bind", "127.0.0.1", "--shards", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the server binary runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "first server never listened"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let (code, _, err) = run(&["--port", &port, "--bind", "127.0.0.1", "--shards", "1"]);
    let _ = first.kill();
    let _ = first.wait();
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("Could not create server TCP listening socket 127.0.0.1:"),
        "{err}"
    );
    assert!(err.contains("Address already in use"), "{err}");
}
