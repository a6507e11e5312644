//! Title clean-up: removing a site-name suffix or prefix ("… - Silicon", "… | CNN",
//! "CNN | …") and comparing candidate titles.

use super::dom::collapse;

const SEPARATORS: &[&str] = &[
    " | ", " - ", " – ", " — ", " :: ", " · ", " • ", " // ", " » ", " « ", " ~ ", " / ",
];

/// Normalised form for comparisons: lower case, quotes and dashes unified, spaces collapsed.
pub fn norm(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| match c {
            '\u{a0}' | '\u{202f}' => ' ',
            '’' | '‘' | '`' => '\'',
            '“' | '”' | '«' | '»' => '"',
            '–' | '—' => '-',
            c => c,
        })
        .collect();
    collapse(&s).to_lowercase()
}

/// Removes a site-name suffix/prefix from a page title. `site` is `og:site_name` or the
/// host, when known.
pub fn strip_site_name(title: &str, site: Option<&str>, host: Option<&str>) -> String {
    let title = collapse(title);
    let Some(sep) = SEPARATORS
        .iter()
        .filter_map(|s| title.rfind(s).map(|p| (p, *s)))
        .max_by_key(|(p, _)| *p)
    else {
        return title;
    };
    let (pos, sep_str) = sep;
    let last = title[pos + sep_str.len()..].trim();
    let rest = title[..pos].trim();
    let first_sep = title.find(sep_str).unwrap_or(pos);
    let first = title[..first_sep].trim();
    let after_first = title[first_sep + sep_str.len()..].trim();
    let matches_site = |seg: &str| {
        let n = norm(seg).replace(' ', "");
        if n.is_empty() {
            return false;
        }
        site.map(|s| norm(s).replace(' ', ""))
            .is_some_and(|s| !s.is_empty() && (n == s || s.contains(&n) || n.contains(&s)))
            || host.is_some_and(|h| {
                let h = h.trim_start_matches("www.").to_lowercase();
                let base = h.split('.').next().unwrap_or("").replace('-', "");
                base.len() >= 3 && (n.contains(&base) || h.contains(&n))
            })
    };
    if matches_site(last) && !rest.is_empty() {
        return strip_site_name(rest, site, host);
    }
    if matches_site(first) && !after_first.is_empty() {
        return after_first.to_string();
    }
    // Unknown site: a short last segment after a longer title is most likely the site name.
    let words_last = last.split_whitespace().count();
    let words_rest = rest.split_whitespace().count();
    if words_last <= 4 && last.chars().count() <= 40 && words_rest >= 3 && words_rest > words_last {
        return rest.to_string();
    }
    title
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes() {
        assert_eq!(
            strip_site_name("RGPD : la CNIL sanctionne - Silicon Lab", None, None),
            "RGPD : la CNIL sanctionne"
        );
        assert_eq!(
            strip_site_name("Storm hits the coast | CNN", Some("CNN"), None),
            "Storm hits the coast"
        );
        assert_eq!(
            strip_site_name("CNN | Storm hits the coast today", Some("CNN"), None),
            "Storm hits the coast today"
        );
        assert_eq!(
            strip_site_name("Title - Section - Le Monde", None, Some("www.lemonde.fr")),
            "Title - Section"
        );
        assert_eq!(
            strip_site_name("Covid - a long story", None, None),
            "Covid - a long story"
        );
        assert_eq!(strip_site_name("Plain title", None, None), "Plain title");
    }
}
