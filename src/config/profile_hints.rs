//! Advice in profile errors: how to fix a regex or a CSS selector, in words.

/// How to fix a regex, from the last line of the `regex` crate's error.
pub(super) fn regex_fix(reason: &str) -> &'static str {
    let reason = reason.trim_start_matches("error: ");
    if reason.starts_with("unclosed group") {
        "close the group with `)`, or write `\\(` to match a parenthesis"
    } else if reason.starts_with("unopened group") {
        "remove the `)` or write `\\)` to match a parenthesis"
    } else if reason.starts_with("unclosed character class") {
        "close the class with `]`, or write `\\[` to match a bracket"
    } else if reason.starts_with("invalid character class range") {
        "put the smaller character first, like `[a-z]`"
    } else if reason.starts_with("repetition operator missing expression") {
        "put something before `*`, `+` or `?`, or escape it (`\\*`, `\\+`, `\\?`) to match it literally"
    } else if reason.starts_with("unrecognized escape sequence") {
        "remove the backslash, or double it (`\\\\`) to match a backslash"
    } else if reason.contains("size limit") {
        "make the pattern smaller (fewer alternatives or repetitions)"
    } else {
        "fix the pattern (Rust regex syntax; write it in 'single quotes' so backslashes stay as they are, and escape `. ? + * ( ) [ ]` with a backslash to match them literally)"
    }
}

/// What is wrong with a CSS selector, in words (the parser's own words are often
/// "Unexpected error occurred").
pub(super) fn selector_problem(error: &scraper::error::SelectorErrorKind) -> String {
    use scraper::error::SelectorErrorKind as K;
    match error {
        K::EndOfLine => {
            "it ends too early (an unclosed `[` or `(`, or nothing after a combinator)".into()
        }
        K::UnexpectedToken => "unexpected character or word".into(),
        K::ExpectedColonOnPseudoElement | K::ExpectedIdentityOnPseudoElement => {
            "incomplete pseudo-element (`::name`)".into()
        }
        K::UnexpectedSelectorParseError(kind) => match format!("{kind:?}").as_str() {
            "DanglingCombinator" => {
                "it ends with a combinator (`>`, `+` or `~`) with nothing after it".into()
            }
            "EmptySelector" => {
                "an empty selector (two commas in a row, or a trailing comma?)".into()
            }
            "UnsupportedPseudoClassOrElement" | "NoIdentForPseudo" => {
                "unknown pseudo-class or pseudo-element".into()
            }
            "ClassNeedsIdent" => "a `.` must be followed by a class name".into(),
            "UnexpectedTokenInAttributeSelector" | "BadValueInAttr" | "ExpectedBarInAttr" => {
                "malformed attribute test (quote the value: `a[rel='x y']`)".into()
            }
            other => format!("malformed selector ({other})"),
        },
        other => other.to_string(),
    }
}
