//! Fuzz target: the date parser accepts any text without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = glaneur::extract::parse_date(&text);
});
