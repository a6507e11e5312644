//! Date parsing: ISO 8601 / RFC 3339, RFC 2822, written dates in French, English and other
//! European languages ("28 novembre 2016", "1er déc. 2016", "Nov. 28, 2016 at 10:30 am"),
//! dates in URLs, and relative dates ("il y a 3 jours", "2 hours ago").

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use regex::Regex;

/// A date as precise as its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParsedDate {
    /// Date and time with a known offset.
    Instant(DateTime<FixedOffset>),
    /// Date and time, offset unknown.
    Local(NaiveDateTime),
    /// Day only.
    Day(NaiveDate),
}

impl ParsedDate {
    /// The calendar day.
    pub fn day(&self) -> NaiveDate {
        match self {
            ParsedDate::Instant(d) => d.date_naive(),
            ParsedDate::Local(d) => d.date(),
            ParsedDate::Day(d) => *d,
        }
    }

    /// RFC 3339 when the offset is known, `YYYY-MM-DDTHH:MM:SS` without it, `YYYY-MM-DD` for a day.
    pub fn to_rfc(&self) -> String {
        match self {
            ParsedDate::Instant(d) => d.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            ParsedDate::Local(d) => d.format("%Y-%m-%dT%H:%M:%S").to_string(),
            ParsedDate::Day(d) => d.format("%Y-%m-%d").to_string(),
        }
    }

    fn plausible(&self) -> bool {
        let y = self.day().year();
        (1990..=2100).contains(&y)
    }
}

/// The French month names, January first, as written in dates ("12 mars 2024").
pub const FRENCH_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// A date for people, in French, in the offset it was written in: `12 mars 2024` for a
/// day (`YYYY-MM-DD`) or an RFC 3339 instant, `12 mars 2024, 14:05` for an instant when
/// `with_time`; the text itself when it is not a date. The one formatter of the demo
/// site's pages and of `serve`.
pub fn french_date(text: &str, with_time: bool) -> String {
    use chrono::{Datelike, Timelike};
    let day = |d: &dyn Fn() -> (u32, u32, i32)| {
        let (day, month0, year) = d();
        format!("{day} {} {year}", FRENCH_MONTHS[month0 as usize % 12])
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        let date = day(&|| (t.day(), t.month0(), t.year()));
        return if with_time {
            format!("{date}, {:02}:{:02}", t.hour(), t.minute())
        } else {
            date
        };
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return day(&|| (d.day(), d.month0(), d.year()));
    }
    text.to_string()
}

const MONTHS: &[(&str, u32)] = &[
    // French
    ("janvier", 1),
    ("janv", 1),
    ("février", 2),
    ("fevrier", 2),
    ("févr", 2),
    ("fevr", 2),
    ("fév", 2),
    ("fev", 2),
    ("mars", 3),
    ("avril", 4),
    ("avr", 4),
    ("mai", 5),
    ("juin", 6),
    ("juillet", 7),
    ("juil", 7),
    ("août", 8),
    ("aout", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("décembre", 12),
    ("decembre", 12),
    ("déc", 12),
    // English
    ("january", 1),
    ("jan", 1),
    ("february", 2),
    ("feb", 2),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("june", 6),
    ("jun", 6),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("october", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
    // German
    ("januar", 1),
    ("jänner", 1),
    ("februar", 2),
    ("märz", 3),
    ("maerz", 3),
    ("juni", 6),
    ("juli", 7),
    ("oktober", 10),
    ("okt", 10),
    ("dezember", 12),
    ("dez", 12),
    // Spanish, Portuguese, Italian, Dutch
    ("enero", 1),
    ("febrero", 2),
    ("marzo", 3),
    ("abril", 4),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("agosto", 8),
    ("septiembre", 9),
    ("setiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
    ("janeiro", 1),
    ("fevereiro", 2),
    ("março", 3),
    ("maio", 5),
    ("junho", 6),
    ("julho", 7),
    ("setembro", 9),
    ("outubro", 10),
    ("novembro", 11),
    ("dezembro", 12),
    ("gennaio", 1),
    ("febbraio", 2),
    ("aprile", 4),
    ("maggio", 5),
    ("giugno", 6),
    ("luglio", 7),
    ("settembre", 9),
    ("ottobre", 10),
    ("dicembre", 12),
    ("januari", 1),
    ("februari", 2),
    ("maart", 3),
    ("mei", 5),
    ("augustus", 8),
    ("ene", 1),
    ("abr", 4),
    ("ago", 8),
    ("dic", 12),
    ("maj", 5),
    ("mär", 3),
    ("mrz", 3),
    ("mrt", 3),
    // Italian and Portuguese abbreviations ("12 mag 2024", "5 out. 2023")
    ("gen", 1),
    ("mag", 5),
    ("giu", 6),
    ("lug", 7),
    ("ott", 10),
    ("set", 9),
    ("out", 10),
    // Danish, Swedish, Norwegian (the rest is written as in German or English)
    ("marts", 3),
    ("augusti", 8),
    // Czech (genitive), Romanian
    ("ledna", 1),
    ("února", 2),
    ("března", 3),
    ("dubna", 4),
    ("května", 5),
    ("června", 6),
    ("července", 7),
    ("srpna", 8),
    ("září", 9),
    ("října", 10),
    ("listopadu", 11),
    ("prosince", 12),
    ("ianuarie", 1),
    ("februarie", 2),
    ("martie", 3),
    ("aprilie", 4),
    ("iunie", 6),
    ("iulie", 7),
    ("septembrie", 9),
    ("octombrie", 10),
    ("noiembrie", 11),
    ("decembrie", 12),
    // Russian and Polish (genitive, as written in dates), Turkish
    ("января", 1),
    ("февраля", 2),
    ("марта", 3),
    ("апреля", 4),
    ("мая", 5),
    ("июня", 6),
    ("июля", 7),
    ("августа", 8),
    ("сентября", 9),
    ("октября", 10),
    ("ноября", 11),
    ("декабря", 12),
    ("stycznia", 1),
    ("lutego", 2),
    ("marca", 3),
    ("kwietnia", 4),
    ("maja", 5),
    ("czerwca", 6),
    ("lipca", 7),
    ("sierpnia", 8),
    ("września", 9),
    ("października", 10),
    ("listopada", 11),
    ("grudnia", 12),
    ("ocak", 1),
    ("şubat", 2),
    ("nisan", 4),
    ("mayıs", 5),
    ("haziran", 6),
    ("temmuz", 7),
    ("ağustos", 8),
    ("eylül", 9),
    ("ekim", 10),
    ("kasım", 11),
    ("aralık", 12),
];

fn month_alt() -> String {
    let mut names: Vec<&str> = MONTHS.iter().map(|(n, _)| *n).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    names.join("|")
}

fn month_num(name: &str) -> Option<u32> {
    let l = name.to_lowercase();
    MONTHS.iter().find(|(n, _)| *n == l).map(|(_, m)| *m)
}

static ISO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        \b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})
        (?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?\s*(Z|[+-]\d{2}(?::?\d{2})?|UTC|GMT)?)?
    ",
    )
    .expect("constant regex")
});

static DMY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b(\d{{1,2}})(?:er|st|nd|rd|th|º|°|\.)?,?(?:\s*|-)(?:de\s+|of\s+)?({})\.?,?(?:\s*|-)(?:de\s+)?(\d{{4}})\b",
        month_alt()
    ))
    .expect("constant regex")
});

static MDY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b({})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b",
        month_alt()
    ))
    .expect("constant regex")
});

/// `dd/mm/yyyy`, `dd.mm.yyyy`, `dd-mm-yyyy` (one separator throughout), `dd.mm.yy`, and
/// the German spaced form `5. 3. 2024` (a space after both dots, a four-digit year).
static NUMERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(\d{1,2})([/.\-])(\d{1,2})([/.\-])(\d{4}|\d{2})(?:$|[^\d.]|\.(?:$|\D))|\b(\d{1,2})\. (\d{1,2})\. (\d{4})(?:$|[^\d.]|\.(?:$|\D))",
    )
    .expect("constant regex")
});

/// Year, month and day written with the CJK units (`2021年4月8日`, `2021년 4월 8일`).
static CJK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"((?:19|20)\d{2})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]")
        .expect("constant regex")
});

static TIME_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[\s,\-–—|]*(?:à|a|at|um|alle|às|om|@|-)?\s*(\d{1,2})\s*(?:h|:)\s*(\d{2})?(?::\d{2})?\s*(a\.?m\.?|p\.?m\.?)?")
        .expect("constant regex")
});

static URL_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"/((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:/|[-_]|\.html?|$)|/((?:19|20)\d{2})/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])/|(?i)/((?:19|20)\d{2})/(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*/(0?[1-9]|[12]\d|3[01])/")
        .expect("constant regex")
});

/// A day-first date in a URL path (`/29-10-2021/`, `/29/10/2021/`).
static URL_DAY_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"/(0?[1-9]|[12]\d|3[01])([/-])(0?[1-9]|1[0-2])([/-])((?:19|20)\d{2})(?:/|[-_]|\.html?|$)",
    )
    .expect("constant regex")
});

static RELATIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?ix)
        (?:il\s+y\s+a|vor|hace|há)\s+(\d+|une?|quelques|einem|einer|un|una)\s+(seconde|minute|min|heure|h|jour|semaine|mois|an|année|sekunde|minute|stunde|tag|tage|woche|monat|jahr|segundo|minuto|hora|día|dia|semana|mes|año)s?\b
        |
        \b(\d+|an?|one)\s+(second|sec|minute|min|hour|hr|day|week|month|year|seconde|heure|jour|semaine|mois|an)s?\s+ago\b
    ").expect("constant regex")
});

fn offset_of(s: &str) -> Option<FixedOffset> {
    match s {
        "Z" | "UTC" | "GMT" | "z" => FixedOffset::east_opt(0),
        _ => {
            let sign = if s.starts_with('-') { -1 } else { 1 };
            let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
            let h: i32 = digits.get(0..2)?.parse().ok()?;
            let m: i32 = digits.get(2..4).and_then(|m| m.parse().ok()).unwrap_or(0);
            FixedOffset::east_opt(sign * (h * 3600 + m * 60))
        }
    }
}

fn build(date: NaiveDate, time: Option<NaiveTime>, off: Option<FixedOffset>) -> ParsedDate {
    match (time, off) {
        (Some(t), Some(o)) => match date.and_time(t).and_local_timezone(o).single() {
            Some(dt) => ParsedDate::Instant(dt),
            None => ParsedDate::Local(date.and_time(t)),
        },
        (Some(t), None) => ParsedDate::Local(date.and_time(t)),
        _ => ParsedDate::Day(date),
    }
}

fn iso_at(s: &str) -> Option<(ParsedDate, usize)> {
    for c in ISO.captures_iter(s) {
        let y: i32 = c[1].parse().ok()?;
        let mo: u32 = c[2].parse().ok()?;
        let d: u32 = c[3].parse().ok()?;
        let Some(date) = NaiveDate::from_ymd_opt(y, mo, d) else {
            continue;
        };
        let time = match (c.get(4), c.get(5)) {
            (Some(h), Some(m)) => {
                let sec = c.get(6).and_then(|s| s.as_str().parse().ok()).unwrap_or(0);
                NaiveTime::from_hms_opt(h.as_str().parse().ok()?, m.as_str().parse().ok()?, sec)
            }
            _ => None,
        };
        let off = c.get(7).and_then(|o| offset_of(o.as_str()));
        let pd = build(date, time, off);
        if pd.plausible() {
            return Some((pd, c.get(0).map_or(0, |m| m.start())));
        }
    }
    None
}

fn time_after(rest: &str) -> Option<NaiveTime> {
    let c = TIME_AFTER.captures(rest)?;
    let mut h: u32 = c[1].parse().ok()?;
    let m: u32 = c.get(2).and_then(|m| m.as_str().parse().ok()).unwrap_or(0);
    if c.get(2).is_none() && !rest.to_lowercase().contains('h') {
        return None;
    }
    if let Some(ampm) = c.get(3) {
        let pm = ampm.as_str().to_lowercase().starts_with('p');
        if h == 12 {
            h = 0;
        }
        if pm {
            h += 12;
        }
    }
    NaiveTime::from_hms_opt(h, m, 0)
}

fn written_at(s: &str) -> Option<(ParsedDate, usize)> {
    let mut best: Option<(ParsedDate, usize)> = None;
    if let Some(c) = DMY.captures(s) {
        let d: u32 = c[1].parse().ok()?;
        let mo = month_num(&c[2])?;
        let y: i32 = c[3].parse().ok()?;
        if let Some(date) = NaiveDate::from_ymd_opt(y, mo, d) {
            let end = c.get(0).map_or(0, |m| m.end());
            let pd = build(date, time_after(&s[end..]), None);
            if pd.plausible() {
                best = Some((pd, c.get(0).map_or(0, |m| m.start())));
            }
        }
    }
    if let Some(c) = MDY.captures(s) {
        let start = c.get(0).map_or(0, |m| m.start());
        if best.as_ref().is_none_or(|(_, b)| start < *b) {
            let mo = month_num(&c[1])?;
            let d: u32 = c[2].parse().ok()?;
            let y: i32 = c[3].parse().ok()?;
            if let Some(date) = NaiveDate::from_ymd_opt(y, mo, d) {
                let end = c.get(0).map_or(0, |m| m.end());
                let pd = build(date, time_after(&s[end..]), None);
                if pd.plausible() {
                    best = Some((pd, start));
                }
            }
        }
    }
    best
}

/// Parses a date from an attribute value or a short text (the earliest date found in it).
pub fn parse_date(s: &str) -> Option<ParsedDate> {
    let s = s.trim();
    if s.is_empty() || s.len() > 400 {
        return find_date_in_text(s.get(..400).unwrap_or(""), false);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(ParsedDate::Instant(d)).filter(ParsedDate::plausible);
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(ParsedDate::Instant(d)).filter(ParsedDate::plausible);
    }
    // A compact day (`20190304`) in meta tags.
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        let date = NaiveDate::parse_from_str(s, "%Y%m%d").ok()?;
        return Some(ParsedDate::Day(date)).filter(ParsedDate::plausible);
    }
    // Unix timestamps (seconds or milliseconds) in meta tags.
    if s.len() >= 9 && s.len() <= 13 && s.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = s.parse().ok()?;
        let secs = if s.len() == 13 { n / 1000 } else { n };
        let dt = DateTime::<Utc>::from_timestamp(secs, 0)?;
        let pd = ParsedDate::Instant(dt.fixed_offset());
        return Some(pd).filter(ParsedDate::plausible);
    }
    find_date_in_text(s, false)
}

/// Finds the first date written in a text (ISO or with a month name; numeric
/// `dd/mm/yyyy` forms too, month first when `month_first`).
pub fn find_date_in_text(s: &str, month_first: bool) -> Option<ParsedDate> {
    if !may_hold_date(s) {
        return None;
    }
    let iso = iso_at(s);
    let written = written_at(s);
    let mut best = match (iso, written) {
        (Some(a), Some(b)) => Some(if a.1 <= b.1 { a } else { b }),
        (a, b) => a.or(b),
    };
    if best.is_none() {
        best = numeric_at(s, month_first).or_else(|| cjk_at(s));
    }
    best.map(|b| b.0)
}

/// True when a text may hold a date: every form read has a four-digit year, but for the
/// dotted `17.11.21` (two dots). A cheap test before the date expressions.
fn may_hold_date(s: &str) -> bool {
    let mut run = 0;
    let mut dots = 0;
    for b in s.bytes() {
        if b.is_ascii_digit() {
            run += 1;
            if run == 4 {
                return true;
            }
        } else {
            run = 0;
            dots += usize::from(b == b'.');
        }
    }
    dots >= 2
}

/// A numeric day (`05.10.2023`, `10/05/2023` month first when `month_first`, `21-08-2020`,
/// `17.11.21`): the same separator twice; a two-digit year only with dots (the German and
/// Dutch short form), read in this century unless that would be more than a year ahead.
fn numeric_at(s: &str, month_first: bool) -> Option<(ParsedDate, usize)> {
    for c in NUMERIC.captures_iter(s) {
        // The spaced form: groups 6 to 8, read as the dotted one.
        let spaced = c.get(6).is_some();
        let (a, sep1, b, sep2, year) = if spaced {
            (c.get(6), ".", c.get(7), ".", c.get(8))
        } else {
            (
                c.get(1),
                c.get(2).map_or("", |m| m.as_str()),
                c.get(3),
                c.get(4).map_or("", |m| m.as_str()),
                c.get(5),
            )
        };
        let (Some(a), Some(b), Some(year)) = (a, b, year) else {
            continue;
        };
        if sep1 != sep2 {
            continue;
        }
        let (Ok(a), Ok(b)) = (a.as_str().parse::<u32>(), b.as_str().parse::<u32>()) else {
            continue;
        };
        let end = year.end();
        let year = year.as_str();
        let y: i32 = match year.len() {
            4 => year.parse().ok()?,
            _ if sep1 == "." => {
                let yy: i32 = year.parse().ok()?;
                let this = Utc::now().year() % 100;
                if yy <= this + 1 { 2000 + yy } else { 1900 + yy }
            }
            _ => continue,
        };
        let (d, m) = if a > 12 {
            (a, b)
        } else if b > 12 || month_first {
            (b, a)
        } else {
            (a, b)
        };
        let Some(date) = NaiveDate::from_ymd_opt(y, m, d) else {
            continue;
        };
        let pd = build(date, time_after(&s[end..]), None);
        if pd.plausible() {
            return Some((pd, c.get(0).map_or(0, |m| m.start())));
        }
    }
    None
}

/// A month and year at the start of a text ("März 2020", "April, 2021", "04/2021",
/// "4.2021"), read as the month's first day, as htmldate does: only where a label
/// already says the text is the publication date (a month alone elsewhere is refused).
pub fn month_at_start(s: &str) -> Option<ParsedDate> {
    let c = MONTH_YEAR.captures(s)?;
    let (month, year) = match (c.get(1), c.get(2), c.get(3), c.get(4)) {
        (Some(m), Some(y), _, _) => (month_num(m.as_str())?, y),
        (_, _, Some(m), Some(y)) => (m.as_str().parse().ok()?, y),
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(year.as_str().parse().ok()?, month, 1)?;
    Some(ParsedDate::Day(date)).filter(ParsedDate::plausible)
}

static MONTH_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^\s*(?:({})\.?,?\s+((?:19|20)\d{{2}})|(0?[1-9]|1[0-2])\s*[/.]\s*((?:19|20)\d{{2}}))(?:$|[^\d./])",
        month_alt()
    ))
    .expect("constant regex")
});

/// A day written with CJK units.
fn cjk_at(s: &str) -> Option<(ParsedDate, usize)> {
    let c = CJK.captures(s)?;
    let date = NaiveDate::from_ymd_opt(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)?;
    Some((ParsedDate::Day(date), c.get(0).map_or(0, |m| m.start())))
}

/// A date in a URL path (`/2016/11/28/`, `/20161128`, `-2016-11-28`, and day first when
/// unambiguous: `/29-10-2021/`, `/29/10/2021/`); day only.
pub fn date_from_url(url: &str) -> Option<NaiveDate> {
    let Some(c) = URL_DATE.captures(url) else {
        return day_first_in_url(url);
    };
    let (y, m, d) = if let Some(y) = c.get(1) {
        (y, c.get(2)?.as_str().parse().ok()?, c.get(3)?)
    } else if let Some(y) = c.get(4) {
        (y, c.get(5)?.as_str().parse().ok()?, c.get(6)?)
    } else {
        (c.get(7)?, month_num(c.get(8)?.as_str())?, c.get(9)?)
    };
    NaiveDate::from_ymd_opt(y.as_str().parse().ok()?, m, d.as_str().parse().ok()?)
}

/// A day-first date in a URL, read only when no month-first reading exists (the first
/// number is above 12): `/05-03-2021/` could be either and is not read.
fn day_first_in_url(url: &str) -> Option<NaiveDate> {
    URL_DAY_FIRST.captures_iter(url).find_map(|c| {
        let day: u32 = c.get(1)?.as_str().parse().ok()?;
        let month: u32 = c.get(3)?.as_str().parse().ok()?;
        let year: i32 = c.get(5)?.as_str().parse().ok()?;
        let same_separator = c.get(2)?.as_str() == c.get(4)?.as_str();
        (same_separator && day > 12)
            .then(|| NaiveDate::from_ymd_opt(year, month, day))
            .flatten()
    })
}

/// A relative date ("il y a 3 jours", "3 jours ago", "2 hours ago", "hier", "yesterday")
/// resolved against `now`. Units of a day or more give a day.
pub fn parse_relative(s: &str, now: DateTime<Utc>) -> Option<ParsedDate> {
    let lower = s.to_lowercase();
    if lower.len() < 200 {
        let t = lower.trim();
        // The word alone or before a time ("hier à 10h", "yesterday at 5 pm"): the German
        // "Hier setzt …" (here) is no date.
        let alone_or_timed = |word: &str| {
            t.strip_prefix(word).is_some_and(|rest| {
                let rest = rest.trim_start_matches([',', ' ', '\u{a0}']);
                rest.is_empty()
                    || ["à ", "a ", "at ", "um ", "-", "–", "—"]
                        .iter()
                        .any(|p| rest.starts_with(p))
                    || rest.starts_with(|c: char| c.is_ascii_digit())
            })
        };
        if alone_or_timed("hier") || alone_or_timed("yesterday") {
            return Some(ParsedDate::Day((now - Duration::days(1)).date_naive()));
        }
        if alone_or_timed("aujourd'hui") || alone_or_timed("aujourd’hui") || alone_or_timed("today")
        {
            return Some(ParsedDate::Day(now.date_naive()));
        }
    }
    let c = RELATIVE.captures(&lower)?;
    let (n, unit) = match (c.get(1), c.get(2), c.get(3), c.get(4)) {
        (Some(n), Some(u), _, _) | (_, _, Some(n), Some(u)) => (n.as_str(), u.as_str()),
        _ => return None,
    };
    let n: i64 = match n {
        "un" | "une" | "a" | "an" | "one" | "einem" | "einer" | "una" => 1,
        "quelques" => 3,
        x => x.parse().ok()?,
    };
    if n > 10_000 {
        return None;
    }
    let secs: i64 = match unit {
        "second" | "sec" | "seconde" | "sekunde" | "segundo" => 1,
        "minute" | "min" | "minuto" => 60,
        "hour" | "hr" | "heure" | "h" | "stunde" | "hora" => 3600,
        "day" | "jour" | "tag" | "tage" | "día" | "dia" => 86_400,
        "week" | "semaine" | "woche" | "semana" => 7 * 86_400,
        "month" | "mois" | "monat" | "mes" => 30 * 86_400,
        "year" | "an" | "année" | "jahr" | "año" => 365 * 86_400,
        _ => return None,
    };
    let t = now - Duration::seconds(n.checked_mul(secs)?);
    if secs >= 86_400 {
        Some(ParsedDate::Day(t.date_naive()))
    } else {
        Some(ParsedDate::Instant(t.fixed_offset()))
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn dates_read_as_in_french_with_or_without_the_time() {
        assert_eq!(
            french_date("2024-03-12T14:05:00+01:00", true),
            "12 mars 2024, 14:05"
        );
        assert_eq!(
            french_date("2024-03-12T14:05:00+01:00", false),
            "12 mars 2024"
        );
        assert_eq!(french_date("2024-08-01", true), "1 août 2024");
        assert_eq!(french_date("hier", true), "hier");
    }
    use super::*;

    fn d(s: &str) -> String {
        parse_date(s).map(|p| p.to_rfc()).unwrap_or_default()
    }

    #[test]
    fn iso_and_rfc() {
        assert_eq!(d("2016-11-28T09:15:00+01:00"), "2016-11-28T09:15:00+01:00");
        assert_eq!(d("2016-11-28T08:15:00Z"), "2016-11-28T08:15:00+00:00");
        assert_eq!(d("2016-11-28 09:15"), "2016-11-28T09:15:00");
        assert_eq!(d("2016-11-28"), "2016-11-28");
        assert_eq!(
            d("Mon, 28 Nov 2016 09:15:00 +0100"),
            "2016-11-28T09:15:00+01:00"
        );
        assert_eq!(
            d("2016-11-28T09:15:00.123+0100"),
            "2016-11-28T09:15:00+01:00"
        );
        assert_eq!(d("not a date"), "");
        assert_eq!(d("2016-13-45"), "");
    }

    #[test]
    fn french_and_english() {
        assert_eq!(d("28 novembre 2016"), "2016-11-28");
        assert_eq!(d("1er déc. 2016"), "2016-12-01");
        assert_eq!(d("Publié le 3 août 2023 à 10h30"), "2023-08-03T10:30:00");
        assert_eq!(d("Mis à jour le 20 février 2015"), "2015-02-20");
        assert_eq!(d("November 28, 2016"), "2016-11-28");
        assert_eq!(d("Nov. 28, 2016 at 3:05 pm"), "2016-11-28T15:05:00");
        assert_eq!(d("28th November 2016"), "2016-11-28");
        assert_eq!(d("28. Dezember 2016"), "2016-12-28");
        assert_eq!(d("5 de mayo de 2020"), "2020-05-05");
        assert_eq!(d("Martes 26, Abril, 2022"), "2022-04-26");
        assert_eq!(d("26 de abril de 2022"), "2022-04-26");
        assert_eq!(d("26 aprile 2022"), "2022-04-26");
    }

    #[test]
    fn numeric_forms_and_their_ambiguity() {
        let t = |s: &str, month_first: bool| {
            find_date_in_text(s, month_first)
                .map(|d| d.to_rfc())
                .unwrap_or_default()
        };
        assert_eq!(t("05.10.2023, 14:20 Uhr", false), "2023-10-05T14:20:00");
        assert_eq!(t("21-08-2020", false), "2020-08-21");
        assert_eq!(t("07/04/2023", true), "2023-07-04");
        assert_eq!(t("07/04/2023", false), "2023-04-07");
        assert_eq!(t("Stand: 17.11.21", false), "2021-11-17");
        assert_eq!(t("Am 12.03.2019. Dann", false), "2019-03-12");
        // Mixed separators, two-digit years with slashes and version numbers are no dates.
        assert_eq!(t("05.10-2023", false), "");
        assert_eq!(t("5/10/23", false), "");
        assert_eq!(t("version 3.1.19.2", false), "");
        assert_eq!(t("2021年4月8日", false), "2021-04-08");
        // The German spaced form, four-digit years only.
        assert_eq!(t("Datum: 5. 3. 2024", false), "2024-03-05");
        assert_eq!(t("5. 3. 2024 um 14:30", false), "2024-03-05T14:30:00");
        assert_eq!(t("Kapitel 5. 3. 24", false), "");
        assert_eq!(t("2021년 4월 8일", false), "2021-04-08");
    }

    #[test]
    fn a_month_and_year_at_the_start_is_its_first_day() {
        let m = |s: &str| month_at_start(s).map(|d| d.to_rfc()).unwrap_or_default();
        assert_eq!(m("04/2021"), "2021-04-01");
        assert_eq!(m(" März 2020"), "2020-03-01");
        assert_eq!(m("April, 2021 "), "2021-04-01");
        assert_eq!(m("in April 2021"), "");
        assert_eq!(m("13/2021"), "");
        assert_eq!(m("04/2021/05"), "");
        assert_eq!(m("Mayor 2020"), "");
    }

    #[test]
    fn more_languages_and_compact_meta_days() {
        assert_eq!(d("5th of October 2023"), "2023-10-05");
        assert_eq!(d("4. Mär 2019"), "2019-03-04");
        assert_eq!(d("12 марта 2021"), "2021-03-12");
        assert_eq!(d("3 października 2020"), "2020-10-03");
        assert_eq!(d("14 Şubat 2022"), "2022-02-14");
        assert_eq!(d("12 de ago de 2020"), "2020-08-12");
        assert_eq!(d("12 mag 2024"), "2024-05-12");
        assert_eq!(d("3 ott. 2023"), "2023-10-03");
        assert_eq!(d("5 out 2023"), "2023-10-05");
        assert_eq!(d("1° settembre 2022"), "2022-09-01");
        assert_eq!(d("5 mei 2024"), "2024-05-05");
        assert_eq!(d("05-Mar-2024"), "2024-03-05");
        assert_eq!(d("5 augusti 2023"), "2023-08-05");
        assert_eq!(d("5. března 2023"), "2023-03-05");
        assert_eq!(d("5 martie 2023"), "2023-03-05");
        assert_eq!(d("12. März 2024"), "2024-03-12");
        assert_eq!(d("3 de marzo de 2024"), "2024-03-03");
        assert_eq!(d("March 5th, 2024"), "2024-03-05");
        assert_eq!(d("05.03.2024 um 14:30"), "2024-03-05T14:30:00");
        assert_eq!(d("20190304"), "2019-03-04");
        assert_eq!(d("20191304"), "");
    }

    #[test]
    fn day_first_url_dates_only_when_unambiguous() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(
            date_from_url("https://x.test/a/29-10-2021/slug"),
            day(2021, 10, 29)
        );
        assert_eq!(
            date_from_url("https://x.test/29/10/2021/slug"),
            day(2021, 10, 29)
        );
        assert_eq!(
            date_from_url("https://x.test/news/13-1-2020.html"),
            day(2020, 1, 13)
        );
        // Either reading is a date: not read.
        assert_eq!(date_from_url("https://x.test/a/05-03-2021/slug"), None);
        // Month first, mixed separators, no valid day: not read.
        assert_eq!(date_from_url("https://x.test/a/10-29-2021/slug"), None);
        assert_eq!(date_from_url("https://x.test/a/29-10/2021/slug"), None);
        assert_eq!(date_from_url("https://x.test/a/31-02-2021/slug"), None);
    }

    #[test]
    fn urls_and_relative() {
        assert_eq!(
            date_from_url("https://x.test/2016/11/28/slug/"),
            NaiveDate::from_ymd_opt(2016, 11, 28)
        );
        assert_eq!(
            date_from_url("https://x.test/news/20161128-slug"),
            NaiveDate::from_ymd_opt(2016, 11, 28)
        );
        assert_eq!(date_from_url("https://x.test/2016/11/slug-0731/"), None);
        assert_eq!(
            date_from_url("https://x.test/world/2023/dec/22/slug"),
            NaiveDate::from_ymd_opt(2023, 12, 22)
        );
        let now = DateTime::parse_from_rfc3339("2024-03-10T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_relative("il y a 3 jours", now).unwrap().to_rfc(),
            "2024-03-07"
        );
        assert_eq!(
            parse_relative("3 jours ago", now).unwrap().to_rfc(),
            "2024-03-07"
        );
        assert_eq!(
            parse_relative("il y a 2 semaines", now).unwrap().to_rfc(),
            "2024-02-25"
        );
        assert_eq!(
            parse_relative("2 hours ago", now).unwrap().to_rfc(),
            "2024-03-10T10:00:00+00:00"
        );
        assert!(parse_relative("hello", now).is_none());
        assert_eq!(
            parse_relative("hier à 18h30", now).unwrap().to_rfc(),
            "2024-03-09"
        );
        assert_eq!(
            parse_relative("Yesterday", now).unwrap().to_rfc(),
            "2024-03-09"
        );
        // German "Hier" (here) and "today's" sentences are no dates.
        assert!(parse_relative("Hier setzt die Hochschule an", now).is_none());
        assert!(parse_relative("Today we look at the harbour", now).is_none());
    }
}
