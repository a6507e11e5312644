//! URL canonicalisation: one spelling per resource, so each is queued and captured once.
//!
//! Parsing with the `url` crate (WHATWG URL standard) already lower-cases the scheme and
//! the host, drops the default port and resolves dot segments (including `%2e`); this
//! module adds what parsing keeps: the fragment, an empty query (`?`) and tracking
//! parameters. It also computes politeness keys ([`host_key`]) and SURT keys ([`surt`]).

use url::{Host, Url};

/// Query parameters removed by [`canonicalize`] (compared case-insensitively); any
/// parameter whose name starts with `utm_` is removed too.
const TRACKING_PARAMS: &[&str] = &["fbclid", "gclid", "mc_cid", "mc_eid"];

/// True if a raw `name=value` query pair is a tracking parameter.
fn is_tracking(pair: &str) -> bool {
    let name = pair.split('=').next().unwrap_or(pair);
    let name: String = url::form_urlencoded::parse(name.as_bytes())
        .next()
        .map(|(k, _)| k.to_ascii_lowercase())
        .unwrap_or_default();
    name.starts_with("utm_") || TRACKING_PARAMS.contains(&name.as_str())
}

/// Canonical form of a URL for the frontier: scheme and host lower-cased, default port
/// dropped, dot segments resolved, credentials (`user:password@`) dropped (they are never
/// sent, stored in the state or written into `WARC-Target-URI`), percent-escapes
/// normalised (hex upper-cased, unreserved characters decoded), fragment dropped, empty
/// query dropped, and tracking parameters (`utm_*`, `fbclid`, `gclid`, `mc_cid`,
/// `mc_eid`) removed. Returns None for schemes other than http and https.
///
/// The other query parameters keep their order and their spelling (not re-encoded, apart
/// from the escape normalisation); empty pairs (`a=1&&b=2`) are dropped. Idempotent:
/// `canonicalize(canonicalize(u)) == canonicalize(u)`.
pub fn canonicalize(url: &Url) -> Option<Url> {
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return None;
    }
    let mut out = url.clone();
    out.set_fragment(None);
    // Only fails for URLs that cannot have credentials, which then have none.
    let _ = out.set_username("");
    let _ = out.set_password(None);
    if let std::borrow::Cow::Owned(path) = normalize_escapes(url.path()) {
        out.set_path(&path);
    }
    let query = url.query().map(|q| {
        let kept = q
            .split('&')
            .filter(|pair| !pair.is_empty() && !is_tracking(pair))
            .collect::<Vec<_>>()
            .join("&");
        normalize_escapes(&kept).into_owned()
    });
    match query {
        Some(q) if !q.is_empty() => out.set_query(Some(&q)),
        _ => out.set_query(None),
    }
    Some(out)
}

/// RFC 3986 §6.2.2 normalisation of percent-escapes: hex digits upper-cased (`%c3%a9` →
/// `%C3%A9`) and escaped unreserved characters decoded (`%7E` → `~`, `%41` → `A`), so that
/// the spellings of one URL are one URL. Other bytes are left as they are.
fn normalize_escapes(s: &str) -> std::borrow::Cow<'_, str> {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let needs_work = bytes.windows(3).any(|w| {
        w[0] == b'%'
            && hex(w[1]).is_some()
            && hex(w[2]).is_some()
            && (w[1].is_ascii_lowercase() || w[2].is_ascii_lowercase() || {
                let v = (hex(w[1]).unwrap_or(0) * 16 + hex(w[2]).unwrap_or(0)) as u8;
                is_unreserved(v)
            })
    });
    if !needs_work {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            let v = (h * 16 + l) as u8;
            // Decoding must not form a new escape with what precedes ("%4%46" would become
            // "%4F", decoded again on the next pass): keep such an escape as it is.
            let forms_escape = v.is_ascii_hexdigit() && {
                let o = out.as_bytes();
                o.last() == Some(&b'%')
                    || (o.len() >= 2
                        && o[o.len() - 2] == b'%'
                        && o[o.len() - 1].is_ascii_hexdigit())
            };
            if is_unreserved(v) && !forms_escape {
                out.push(v as char);
            } else {
                out.push('%');
                out.push(bytes[i + 1].to_ascii_uppercase() as char);
                out.push(bytes[i + 2].to_ascii_uppercase() as char);
            }
            i += 3;
        } else {
            // A URL's serialisation is ASCII; anything else is copied as a char.
            let c = s[i..].chars().next().unwrap_or('\u{FFFD}');
            out.push(c);
            i += c.len_utf8();
        }
    }
    std::borrow::Cow::Owned(out)
}

/// RFC 3986 unreserved characters: letters, digits, `-`, `.`, `_`, `~`.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// The host of a URL as used for politeness keys: lower-case, with `:port` when not default.
/// IPv6 addresses keep their brackets (`[::1]:8080`). None for URLs without a host.
pub fn host_key(url: &Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// Sort-friendly URI Reordering Transform (SURT) of a URL, as used as the key of CDXJ
/// indexes (pywb, OutbackCDX): scheme dropped, host labels reversed and joined with `,`
/// (a leading `www.` dropped; IP addresses are not reversed), `:port` when not default,
/// then `)`, the path, and the query with its parameters sorted; fragment dropped;
/// everything lower-cased. Example: `https://www.silicon.fr/Path?b=2&a=1#x` →
/// `fr,silicon)/path?a=1&b=2`.
pub fn surt(url: &Url) -> String {
    let host = match url.host() {
        Some(Host::Domain(domain)) => {
            let domain = domain.to_ascii_lowercase();
            let domain = domain.trim_end_matches('.');
            let domain = strip_www(domain);
            domain.split('.').rev().collect::<Vec<_>>().join(",")
        }
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => format!("[{ip}]"),
        None => String::new(),
    };
    let mut out = host;
    if let Some(port) = url.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    out.push(')');
    let path = url.path();
    out.push_str(if path.is_empty() { "/" } else { path });
    if let Some(query) = url.query() {
        let mut pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
        if !pairs.is_empty() {
            pairs.sort_unstable();
            out.push('?');
            out.push_str(&pairs.join("&"));
        }
    }
    out.to_lowercase()
}

/// Drops a leading `www.` (or `www2.`, `www3.`…) label, as the SURT canonicaliser does,
/// unless nothing would be left.
fn strip_www(domain: &str) -> &str {
    if let Some(rest) = domain.strip_prefix("www")
        && let Some(dot) = rest.find('.')
        && rest[..dot].bytes().all(|b| b.is_ascii_digit())
        && dot + 1 < rest.len()
    {
        return &rest[dot + 1..];
    }
    domain
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn canon(s: &str) -> Option<String> {
        Url::parse(s)
            .ok()
            .and_then(|u| canonicalize(&u))
            .map(String::from)
    }

    #[test]
    fn decoding_an_escape_never_forms_a_new_one() {
        // Found by the `urls` fuzz target: canonicalize was not idempotent on "%4%46".
        let u = Url::parse("http://a/file::%4%46x/%%41").expect("url");
        let once = canonicalize(&u).expect("canonical");
        assert_eq!(canonicalize(&once).as_ref(), Some(&once));
        assert!(once.as_str().contains("%4%46x"), "{once}");
    }

    #[test]
    fn percent_escapes_are_normalised() {
        assert_eq!(
            canon("http://e.test/caf%c3%a9/%7Euser/%41b%2f?q=%c3%a9&r=%2d").as_deref(),
            Some("http://e.test/caf%C3%A9/~user/Ab%2F?q=%C3%A9&r=-")
        );
        assert_eq!(
            canon("http://e.test/caf%C3%A9").as_deref(),
            canon("http://e.test/caf%c3%A9").as_deref()
        );
        // A lone or broken escape is kept as it is.
        assert_eq!(
            canon("http://e.test/100%25/%zz/%4").as_deref(),
            Some("http://e.test/100%25/%zz/%4")
        );
    }

    #[test]
    fn credentials_are_dropped() {
        assert_eq!(
            canon("http://admin:hunter2@Example.com/a?x=1#f").as_deref(),
            Some("http://example.com/a?x=1")
        );
        assert_eq!(
            canon("https://user@example.com/").as_deref(),
            Some("https://example.com/")
        );
    }

    #[test]
    fn parsing_normalises_case_port_and_dots() {
        assert_eq!(
            canon("HTTPS://WWW.Silicon.FR:443/a/./b/../c").as_deref(),
            Some("https://www.silicon.fr/a/c")
        );
        assert_eq!(
            canon("http://Example.com:80").as_deref(),
            Some("http://example.com/")
        );
        assert_eq!(
            canon("http://example.com:8080/x").as_deref(),
            Some("http://example.com:8080/x")
        );
        assert_eq!(
            canon("http://example.com/a/%2e%2e/b").as_deref(),
            Some("http://example.com/b")
        );
    }

    #[test]
    fn drops_fragment_empty_query_and_tracking() {
        assert_eq!(
            canon("https://example.com/a?#top").as_deref(),
            Some("https://example.com/a")
        );
        assert_eq!(
            canon("https://example.com/a#").as_deref(),
            Some("https://example.com/a")
        );
        assert_eq!(
            canon("https://example.com/a?utm_source=x&id=3&UTM_Medium=y&fbclid=1&b=&gclid=2&mc_cid=3&mc_eid=4#f")
                .as_deref(),
            Some("https://example.com/a?id=3&b=")
        );
        assert_eq!(
            canon("https://example.com/a?utm_source=x").as_deref(),
            Some("https://example.com/a")
        );
        // Order and spelling of the other parameters is kept.
        assert_eq!(
            canon("https://example.com/a?z=1&a=%20+&&m").as_deref(),
            Some("https://example.com/a?z=1&a=%20+&m")
        );
        // A parameter that merely contains a tracking name is kept.
        assert_eq!(
            canon("https://example.com/?xutm_a=1&gclid2=3").as_deref(),
            Some("https://example.com/?xutm_a=1&gclid2=3")
        );
    }

    #[test]
    fn refuses_other_schemes() {
        for s in [
            "mailto:a@b.c",
            "javascript:alert(1)",
            "ftp://example.com/",
            "data:text/plain,hi",
            "file:///etc/passwd",
        ] {
            assert_eq!(canon(s), None, "{s}");
        }
    }

    #[test]
    fn host_keys() {
        let key = |s: &str| host_key(&Url::parse(s).unwrap());
        assert_eq!(
            key("https://WWW.Silicon.fr/x").as_deref(),
            Some("www.silicon.fr")
        );
        assert_eq!(
            key("http://127.0.0.1:8080/").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(key("https://a.b:443/").as_deref(), Some("a.b"));
        assert_eq!(key("http://[::1]:81/").as_deref(), Some("[::1]:81"));
        assert_eq!(key("mailto:x@y.z"), None);
    }

    #[test]
    fn surt_keys() {
        let s = |u: &str| surt(&Url::parse(u).unwrap());
        assert_eq!(
            s("https://www.silicon.fr/Path/A.html?b=2&a=1#x"),
            "fr,silicon)/path/a.html?a=1&b=2"
        );
        assert_eq!(s("http://example.com"), "com,example)/");
        assert_eq!(s("http://www2.example.com/"), "com,example)/");
        assert_eq!(s("http://www.com/"), "com)/");
        assert_eq!(
            s("http://news.example.co.uk:8080/a?"),
            "uk,co,example,news:8080)/a"
        );
        assert_eq!(s("http://127.0.0.1:8000/x"), "127.0.0.1:8000)/x");
        assert_eq!(s("http://[::1]/x"), "[::1])/x");
    }

    fn arb_url() -> impl Strategy<Value = String> {
        (
            prop_oneof![
                Just("http"),
                Just("https"),
                Just("HTTP"),
                Just("ftp"),
                Just("mailto")
            ],
            "[a-zA-Z0-9.-]{1,20}",
            prop::option::of(0u16..=65535),
            "(/[a-zA-Z0-9._~%!$&'()*+,;=:@-]{0,8}){0,5}",
            prop::option::of("([a-zA-Z_]{0,8}(=[a-zA-Z0-9%+ ]{0,5})?&?){0,5}|utm_x=1&fbclid=2|&&|"),
            prop::option::of("[a-z0-9 #?]{0,6}"),
        )
            .prop_map(|(scheme, host, port, path, query, frag)| {
                let mut s = format!("{scheme}://{host}");
                if let Some(p) = port {
                    s.push_str(&format!(":{p}"));
                }
                s.push_str(&path);
                if let Some(q) = query {
                    s.push('?');
                    s.push_str(&q);
                }
                if let Some(f) = frag {
                    s.push('#');
                    s.push_str(&f);
                }
                s
            })
    }

    proptest! {
        #[test]
        fn canonicalize_is_idempotent(s in arb_url()) {
            if let Ok(u) = Url::parse(&s)
                && let Some(c) = canonicalize(&u)
            {
                prop_assert_eq!(c.fragment(), None);
                prop_assert_ne!(c.query(), Some(""));
                // Re-parsing the canonical text gives the same URL, and canonicalising
                // again changes nothing.
                let reparsed = Url::parse(c.as_str()).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&reparsed, &c);
                prop_assert_eq!(canonicalize(&c), Some(c.clone()));
                let q = c.query().unwrap_or("");
                prop_assert!(!q.split('&').any(|p| p.to_ascii_lowercase().starts_with("utm_") || p.starts_with("fbclid")));
                prop_assert!(host_key(&c).is_some());
                let _ = surt(&c);
            }
        }

        #[test]
        fn never_panics_on_any_text(s in "\\PC{0,60}") {
            if let Ok(u) = Url::parse(&s) {
                if let Some(c) = canonicalize(&u) {
                    prop_assert_eq!(canonicalize(&c), Some(c.clone()));
                }
                let _ = host_key(&u);
                let _ = surt(&u);
            }
        }
    }
}
