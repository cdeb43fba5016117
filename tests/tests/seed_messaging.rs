//! The seeds' pub/sub listener and stream consumer (pubsub.py and streams.py of
//! ../shared/seeds/002_*.txt), unchanged, driven from redis-py by tests/seeds/messaging.py:
//! PSUBSCRIBE "notifications:*" in a thread with JSON payloads, XADD MAXLEN ~, XGROUP CREATE
//! MKSTREAM twice (BUSYGROUP swallowed), XREADGROUP BLOCK 5000 with XACK, failed messages
//! retried from the pending list and claimed with XAUTOCLAIM.
//! Needs python3 with the `redis` module: skips without them, except under CI=true.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use std::process::Command;

use ferrokv_tests::*;

/// Why the seeds cannot run here, if they cannot.
fn python_with_redis_missing() -> Option<String> {
    match Command::new("python3")
        .args(["-c", "import redis"])
        .output()
    {
        Err(e) => Some(format!("python3 cannot be run: {e}")),
        Ok(o) if !o.status.success() => Some(format!(
            "python3 has no `redis` module: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Ok(_) => None,
    }
}

#[test]
fn seeds_pubsub_listener_and_stream_consumer() {
    if let Some(why) = python_with_redis_missing() {
        assert!(!in_ci(), "{why}, but CI=true: CI must run the seeds");
        eprintln!("skipping: {why}");
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/messaging.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(shared().port().to_string())
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("messaging.py: ok"),
        "messaging.py failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
}
