//! Fuzz target: canonicalisation never panics and is idempotent.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(url) = url::Url::parse(&text) else {
        return;
    };
    if let Some(canonical) = glaneur::urls::canonicalize(&url) {
        assert_eq!(
            glaneur::urls::canonicalize(&canonical).as_ref(),
            Some(&canonical),
            "canonicalize is idempotent"
        );
        let _ = glaneur::urls::host_key(&canonical);
        let _ = glaneur::urls::surt(&canonical);
    }
});
