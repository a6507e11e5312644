//! The HTML pages, rendered on the server with `maud` (every interpolated value is
//! escaped by the template engine; no markup is built by hand from archived data). The
//! pages work without JavaScript: filters are GET forms, long parts fold with
//! `<details>`. Archived URLs are never used as links: links go to this server's pages.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};

use super::Status;
use super::chart::captures_chart;
use super::data::{
    self, ArticleList, ArticleView, CaptureItem, CaptureView, Overview, SearchPage, capture_link,
    enc, query_string,
};
use super::integrity::IntegrityState;
use super::params::Filter;
use super::search::{Fragment, SearchSort};
use crate::archive::catalog::{Catalog, NO_CATEGORY};
use crate::archive::human_bytes;
use crate::extract::french_date;

/// A date as `YYYY-MM-DD hh:mm:ss UTC`.
pub fn fmt_date(d: &DateTime<Utc>) -> String {
    d.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A `<time>` element: the date for people, the ISO value in `datetime` and `title`.
fn time_cell(iso: &str) -> Markup {
    html! { time datetime=(iso) title=(iso) { (french_date(iso, true)) } }
}

/// [`time_cell`] of a UTC time.
fn utc_cell(d: &DateTime<Utc>) -> Markup {
    time_cell(&d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn layout(title: &str, status: &Status, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · glaneur" }
                link rel="stylesheet" href="/static/style.css";
            }
            body {
                header.top {
                    a.brand href="/" { "glaneur" }
                    nav {
                        a href="/" { "Overview" }
                        a href="/articles" { "Articles" }
                        a href="/search" { "Search" }
                    }
                    form.quick action="/search" method="get" role="search" {
                        input type="search" name="q" placeholder="Search the articles" aria-label="Search the articles";
                        button type="submit" { "Search" }
                    }
                }
                @if !status.ready {
                    p.notice id="loading" {
                        "Reading the archive: " (status.files_done) " of " (status.files_total)
                        " WARC files. Counts and search results are incomplete until it is done."
                    }
                }
                @if let Some(e) = &status.last_error {
                    p.notice.error { "The last refresh failed: " (e) }
                }
                main { (main) }
                footer {
                    "glaneur " (env!("CARGO_PKG_VERSION"))
                    @if let Some(r) = &status.last_refresh { " · archive read " (fmt_date(r)) }
                    @if status.open_files > 0 { " · " (status.open_files) " WARC file(s) still being written, shown once closed" }
                }
            }
        }
    }
}

/// The error page.
pub fn error_page(status: StatusCode, message: &str, st: &Status) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    layout(
        title,
        st,
        html! {
            h1 { (status.as_u16()) " " (title) }
            p.error-message { (message) }
            p { a href="/" { "Back to the overview" } }
        },
    )
}

fn count_table(title: &str, rows: &[data::Count], param: &str) -> Markup {
    html! {
        section {
            h2 { (title) }
            table.counts {
                thead { tr { th { "Name" } th.num { "Articles" } } }
                tbody {
                    @for r in rows {
                        tr {
                            td {
                                @if r.name == NO_CATEGORY { (r.name) }
                                @else { a href=(format!("/articles?{param}={}", enc(&r.name))) { (r.name) } }
                            }
                            td.num { (r.count) }
                        }
                    }
                }
            }
        }
    }
}

fn integrity_cell(s: &IntegrityState, damaged: &[String]) -> Markup {
    html! {
        @match s {
            IntegrityState::Ok { checked_at } => {
                span.badge.ok title=(format!("checked {}", fmt_date(checked_at))) { "ok" }
            }
            IntegrityState::Problems { problems, repair, .. } => {
                details {
                    summary { span.badge.bad { (problems.len()) " problem(s)" } }
                    ul { @for p in problems { li { (p) } } }
                    @if let Some(r) = repair { p { (r) } }
                }
            }
            IntegrityState::Checking => { span.badge { "checking…" } }
            IntegrityState::Pending => { span.badge { "pending" } }
            IntegrityState::Off => { span.badge { "not checked" } }
        }
        @if !damaged.is_empty() {
            details {
                summary { span.badge.bad { (damaged.len()) " damaged part(s)" } }
                ul { @for d in damaged { li { (d) } } }
            }
        }
    }
}

/// The overview page.
pub fn overview(o: &Overview, c: &Catalog) -> Markup {
    let t = &o.totals;
    let date =
        |d: &Option<DateTime<Utc>>| d.as_ref().map(utc_cell).unwrap_or_else(|| html! { "–" });
    layout(
        "Overview",
        &o.status,
        html! {
            h1 { "Archive overview" }
            p.path { (o.archive) }
            dl.summary {
                div { dt { "Articles" } dd id="total-articles" { (t.articles) } }
                div { dt { "Deleted articles" } dd id="total-gone" { a href="/articles?status=gone" { (t.gone) } } }
                div { dt { "Article versions" } dd { (t.article_records) } }
                div { dt { "Captures" } dd id="total-captures" { (t.captures) } }
                div { dt { "Revisits" } dd { (t.revisits) } }
                div { dt { "Records" } dd { (t.records) } }
                div { dt { "WARC files" } dd { (t.files) } }
                div { dt { "Archive size" } dd id="archive-size" { (human_bytes(t.bytes)) } }
                div { dt { "First capture" } dd { (date(&t.first_capture)) } }
                div { dt { "Last capture" } dd { (date(&t.last_capture)) } }
                div { dt { "Searchable articles" } dd { (o.status.search_documents) } }
            }
            section {
                h2 { "Captures per day" }
                (captures_chart(&c.captures_by_day))
            }
            div.columns {
                (count_table("Articles per site", &o.articles_by_site, "site"))
                (count_table("Articles per category", &o.articles_by_category, "category"))
            }
            section {
                h2 { "WARC files" }
                table.files {
                    thead { tr { th { "File" } th.num { "Size" } th.num { "Records" } th.num { "Captures" } th.num { "Articles" } th { "Integrity" } } }
                    tbody {
                        @for f in &o.files {
                            tr {
                                td.mono { (f.name) }
                                td.num { (human_bytes(f.bytes)) }
                                td.num { (f.records) }
                                td.num { (f.captures) }
                                td.num { (f.articles) }
                                td { (integrity_cell(&f.integrity, &f.damaged)) }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn filter_form(
    action: &str,
    q: Option<&str>,
    f: &Filter,
    sort: &str,
    sorts: &[(&str, &str)],
    c: &Catalog,
) -> Markup {
    let sites: Vec<&String> = c.articles_by_site.keys().collect();
    let cats: Vec<&String> = c
        .articles_by_category
        .keys()
        .filter(|k| *k != NO_CATEGORY)
        .collect();
    html! {
        form.filters action=(action) method="get" {
            @if let Some(q) = q {
                label { "Words " input type="search" name="q" value=(q) required; }
            }
            label { "Site "
                select name="site" {
                    option value="" { "all" }
                    @for s in &sites { option value=(s) selected[f.site.as_deref() == Some(s.as_str())] { (s) } }
                }
            }
            label { "Category "
                select name="category" {
                    option value="" { "all" }
                    @for k in &cats {
                        option value=(k) selected[f.category.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(k))] { (k) }
                    }
                }
            }
            label { "Published from " input type="date" name="from" value=(f.from.map(|d| d.to_string()).unwrap_or_default()); }
            label { "to " input type="date" name="to" value=(f.to.map(|d| d.to_string()).unwrap_or_default()); }
            @if q.is_none() {
                label { "Status "
                    select name="status" {
                        @for (v, label) in [("all", "all"), ("current", "online"), ("gone", "deleted")] {
                            option value=(v) selected[f.status.as_str() == v] { (label) }
                        }
                    }
                }
            }
            label { "Order "
                select name="sort" {
                    @for (v, label) in sorts { option value=(v) selected[*v == sort] { (label) } }
                }
            }
            button type="submit" { @if q.is_some() { "Search" } @else { "Filter" } }
            " " a href=(action) { "clear" }
        }
    }
}

fn pager(base: &str, pairs: &[(&str, String)], page: usize, pages: usize) -> Markup {
    let link = |p: usize| {
        let mut v: Vec<(&str, String)> = pairs.to_vec();
        if p > 1 {
            v.push(("page", p.to_string()));
        }
        format!("{base}{}", query_string(&v))
    };
    html! {
        @if pages > 1 {
            nav.pager aria-label="pages" {
                @if page > 1 { a rel="prev" href=(link(page - 1)) { "← previous" } }
                span { "page " (page) " of " (pages) }
                @if page < pages { a rel="next" href=(link(page + 1)) { "next →" } }
            }
        }
    }
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("–")
}

fn title_or_url(title: &Option<String>, url: &str) -> String {
    title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| url.to_string())
}

/// The article list page.
pub fn article_list(l: &ArticleList, c: &Catalog, status: &Status) -> Markup {
    let sort = match l.sort {
        data::ListSort::Newest => "newest",
        data::ListSort::Oldest => "oldest",
    };
    let mut pairs = l.filter.pairs();
    if sort != "newest" {
        pairs.push(("sort", sort.to_string()));
    }
    let r = &l.results;
    layout(
        "Articles",
        status,
        html! {
            h1 { "Articles" }
            (filter_form("/articles", None, &l.filter, sort, &[("newest", "newest first"), ("oldest", "oldest first")], c))
            p.count id="result-count" { (r.total) " article(s)" }
            table.articles {
                thead { tr { th { "Title" } th { "Site" } th { "Category" } th { "Published" } th { "Captured" } th.num { "Versions" } } }
                tbody {
                    @for a in &r.items {
                        tr {
                            td {
                                a href=(format!("/articles/{}", a.id)) { (title_or_url(&a.title, &a.url)) }
                                @if let Some(d) = &a.gone_since { " " span.badge.bad title=(fmt_date(d)) { "deleted" } }
                            }
                            td { (a.site) }
                            td { (opt(&a.category)) }
                            td { @if let Some(p) = &a.published { (time_cell(p)) } @else { "–" } }
                            td { @if let Some(c) = &a.captured_at { (utc_cell(c)) } }
                            td.num { (a.versions) }
                        }
                    }
                }
            }
            (pager("/articles", &pairs, r.page, r.pages))
        },
    )
}

fn fragments(f: &[Fragment]) -> Markup {
    html! { @for x in f { @if x.hit { mark { (x.text) } } @else { (x.text) } } }
}

fn search_pairs(s: &SearchPage, sort: &str) -> Vec<(&'static str, String)> {
    let mut pairs = vec![("q", s.q.clone())];
    pairs.extend(s.filter.pairs());
    if sort != "relevance" {
        pairs.push(("sort", sort.to_string()));
    }
    pairs
}

/// The search page (`None`: no words yet).
pub fn search(s: Option<&SearchPage>, c: &Catalog, status: &Status) -> Markup {
    let empty = Filter::default();
    let (q, filter, sort) = match s {
        Some(s) => (
            s.q.as_str(),
            &s.filter,
            match s.sort {
                SearchSort::Relevance => "relevance",
                SearchSort::Newest => "newest",
                SearchSort::Oldest => "oldest",
            },
        ),
        None => ("", &empty, "relevance"),
    };
    let sorts = [
        ("relevance", "best match"),
        ("newest", "newest first"),
        ("oldest", "oldest first"),
    ];
    layout(
        if q.is_empty() {
            "Search".to_string()
        } else {
            format!("Search: {q}")
        }
        .as_str(),
        status,
        html! {
            h1 { "Search" }
            (filter_form("/search", Some(q), filter, sort, &sorts, c))
            @if let Some(s) = s {
                @let r = &s.results;
                p.count id="result-count" { (r.total) " result(s) in " (format!("{:.1}", s.took_ms)) " ms" }
                ol.results start=((r.page - 1) * r.per_page + 1) {
                    @for h in &r.items {
                        li.result {
                            a.title href=(format!("/articles/{}", h.article.id)) {
                                @if h.title.is_empty() { (title_or_url(&h.article.title, &h.article.url)) }
                                @else { (fragments(&h.title)) }
                            }
                            div.meta {
                                (h.article.site)
                                @if let Some(cat) = &h.article.category { " · " (cat) }
                                @if let Some(p) = &h.article.published { " · " (time_cell(p)) }
                            }
                            p.snippet { (fragments(&h.snippet)) "…" }
                        }
                    }
                }
                (pager("/search", &search_pairs(s, sort), r.page, r.pages))
            }
        },
    )
}

fn capture_row(c: &CaptureItem, current: Option<&str>) -> Markup {
    let here = current == Some(c.timestamp.as_str());
    html! {
        tr.current[here] {
            td { a href=(capture_link(&c.url, &c.timestamp)) { (utc_cell(&c.date)) } }
            td { (c.kind.as_str()) @if let Some(o) = &c.revisit_of { " of " a href=(capture_link(&c.url, o)) { (o) } } }
            td.num { (c.status.map(|s| s.to_string()).unwrap_or_else(|| "–".into())) }
            td { (c.mime.as_deref().unwrap_or("–")) }
            td.num { (c.article_version.map(|v| format!("v{v}")).unwrap_or_else(|| "–".into())) }
            td.mono.small { (c.file) " @ " (c.offset) }
        }
    }
}

fn captures_table(list: &[CaptureItem], current: Option<&str>) -> Markup {
    html! {
        table.captures {
            thead { tr { th { "Captured" } th { "Record" } th.num { "Status" } th { "Type" } th.num { "Article" } th { "WARC location" } } }
            tbody { @for c in list { (capture_row(c, current)) } }
        }
    }
}

fn paragraphs(text: &str) -> Markup {
    html! {
        @for p in text.split('\n').map(str::trim).filter(|p| !p.is_empty()) { p { (p) } }
    }
}

fn diff_view(d: &data::DiffView) -> Markup {
    // Long runs of unchanged paragraphs fold away, keeping one of context on each side.
    let lines = &d.lines;
    let changed: Vec<bool> = lines.iter().map(|l| l.tag != "equal").collect();
    let near = |i: usize| {
        (i > 0 && changed[i - 1]) || changed.get(i + 1).copied().unwrap_or(false) || changed[i]
    };
    let mut groups: Vec<(bool, Vec<usize>)> = Vec::new();
    for i in 0..lines.len() {
        let fold = !near(i);
        match groups.last_mut() {
            Some((f, v)) if *f == fold => v.push(i),
            _ => groups.push((fold, vec![i])),
        }
    }
    let line = |i: usize| {
        let l = &lines[i];
        html! {
            div class=(format!("diff-line {}", l.tag)) {
                span.sign { (match l.tag { "insert" => "+", "delete" => "−", _ => " " }) }
                span.text { @for p in &l.parts { @if p.emph { @if l.tag == "insert" { ins { (p.text) } } @else { del { (p.text) } } } @else { (p.text) } } }
            }
        }
    };
    html! {
        section.diff id="diff" {
            h2 { "Changes from version " (d.from) " (" (d.from_timestamp) ") to version " (d.to) " (" (d.to_timestamp) ")" }
            @if d.stats.inserted == 0 && d.stats.deleted == 0 {
                p id="diff-summary" { "The body did not change." }
            } @else {
                p id="diff-summary" { (d.stats.deleted) " paragraph(s) removed, " (d.stats.inserted) " added, " (d.stats.unchanged) " unchanged." }
                div.diff-body {
                    @for (fold, idx) in &groups {
                        @if *fold && idx.len() > 1 {
                            details { summary { (idx.len()) " unchanged paragraphs" } @for i in idx { (line(*i)) } }
                        } @else { @for i in idx { (line(*i)) } }
                    }
                }
            }
        }
    }
}

/// The article page.
pub fn article(a: &ArticleView, status: &Status) -> Markup {
    let title = title_or_url(&a.title, &a.url);
    let latest = a.versions.len();
    layout(
        &title,
        status,
        html! {
            article.article {
                h1 id="article-title" { (title) }
                p.url { "Archived from " span.mono { (a.url) } " (" (a.site) ")" }
                @if let Some(d) = &a.gone_since {
                    p.notice.error id="gone" { "Deleted on " (fmt_date(d)) ": the page answered 404/410 or redirected away when captured again. The archive keeps its versions." }
                }
                @if let Some(d) = &a.last_changed {
                    p.url id="changes" { (a.distinct_versions) " distinct version(s); last changed on " (fmt_date(d)) }
                }
                @if !a.duplicates.is_empty() {
                    details id="duplicates" {
                        summary { (a.duplicates.len()) " other address(es) of this article" }
                        ul { @for u in &a.duplicates { li.mono { (u) } } }
                    }
                }
                @if a.version != latest {
                    p.notice { "You are reading version " (a.version) " of " (latest) ". "
                        a href=(format!("/articles/{}", a.id)) { "Latest version" } }
                }
                section {
                    h2 { "Extracted fields" }
                    table.fields id="fields" {
                        thead { tr { th { "Field" } th { "Value" } th { "Found by" } } }
                        tbody {
                            @for f in &a.fields {
                                tr { th { (f.name) } td { (f.value) } td.method { (f.method.as_deref().unwrap_or("–")) } }
                            }
                            tr { th { "body" } td { (a.versions.get(a.version - 1).map(|v| v.words).unwrap_or(0)) " words" } td.method { (a.article.methods.get("body").map(String::as_str).unwrap_or("–")) } }
                        }
                    }
                }
                section.body id="body" {
                    h2 { "Body" }
                    @if let Some(b) = &a.article.body {
                        (paragraphs(b))
                    } @else {
                        p.empty { "No body was extracted." }
                    }
                }
                @if !a.related.is_empty() {
                    section id="related" {
                        h2 { "Related articles" }
                        ul {
                            @for r in &a.related {
                                li {
                                    @if let Some(id) = &r.article_id {
                                        a href=(format!("/articles/{id}")) { (title_or_url(&r.title, &r.url)) }
                                    } @else if let Some(ts) = &r.captured {
                                        a href=(capture_link(&r.url, ts)) { (r.url) }
                                        " (captured"
                                        @if let Some(st) = r.status { ", HTTP " (st) }
                                        ", no article)"
                                    } @else {
                                        span.mono { (r.url) } " (not in the archive)"
                                    }
                                }
                            }
                        }
                    }
                }
                section id="history" {
                    h2 { "Capture history" }
                    p { (a.captures.len()) " capture(s) of this URL, " (latest) " extracted version(s)." }
                    (captures_table(&a.captures, None))
                    @if latest > 1 {
                        h3 { "Versions" }
                        table.versions {
                            thead { tr { th { "Version" } th { "Captured" } th.num { "Words" } th { "Body" } } }
                            tbody {
                                @for v in &a.versions {
                                    tr {
                                        td { a href=(format!("/articles/{}?version={}", a.id, v.number)) { "v" (v.number) } }
                                        td { (utc_cell(&v.captured_at)) }
                                        td.num { (v.words) }
                                        td { @if v.number == 1 { "first" } @else if v.changed { "changed" } @else { "unchanged" } }
                                    }
                                }
                            }
                        }
                        form.compare action=(format!("/articles/{}", a.id)) method="get" {
                            label { "Compare version " select name="from" { @for v in &a.versions { option value=(v.number) selected[a.diff.as_ref().is_some_and(|d| d.from == v.number)] { "v" (v.number) " · " (v.timestamp) } } } }
                            label { " with " select name="to" { @for v in &a.versions { option value=(v.number) selected[a.diff.as_ref().is_some_and(|d| d.to == v.number)] { "v" (v.number) " · " (v.timestamp) } } } }
                            " " button type="submit" { "Compare" }
                        }
                    }
                }
                @if let Some(d) = &a.diff { (diff_view(d)) }
            }
        },
    )
}

/// The capture page.
pub fn capture(v: &CaptureView, status: &Status) -> Markup {
    let c = &v.capture;
    let table = |rows: &[(String, String)]| {
        html! {
            table.headers { tbody { @for (k, val) in rows { tr { th { (k) } td { (val) } } } } }
        }
    };
    layout(
        &format!("Capture of {}", c.url),
        status,
        html! {
            h1 { "Capture of " span.mono { (c.url) } }
            dl.summary {
                div { dt { "Captured" } dd id="capture-date" { (utc_cell(&c.date)) } }
                div { dt { "Record" } dd { (c.kind.as_str()) } }
                div { dt { "HTTP status" } dd { (c.status.map(|s| s.to_string()).unwrap_or_else(|| "–".into())) } }
                div { dt { "Type" } dd { (c.mime.as_deref().unwrap_or("–")) } }
                div { dt { "WARC file" } dd.mono { (c.file) " @ " (c.offset) } }
            }
            @if let Some(p) = &v.payload {
                p.notice { "A revisit: the page had not changed. Its content is that of the capture of "
                    a href=(capture_link(&p.url, &p.timestamp)) { (utc_cell(&p.date)) } "." }
            }
            @if let Some(a) = &v.article {
                p { "Article: " a id="article-link" href=(format!("/articles/{}", a.id)) { (title_or_url(&a.title, &a.url)) } }
            }
            section {
                h2 { "Archived page" }
                p.small { "Shown from the archive only, in a sandbox: its scripts do not run and nothing is loaded from the live web. "
                    a href=(v.replay_url) { "Open it alone" } }
                iframe.replay sandbox="" src=(v.replay_url) title="Archived page" referrerpolicy="no-referrer" {}
            }
            div.columns {
                section { h2 { "HTTP headers" } @if let Some(s) = &v.http_status_line { p.mono { (s) } } (table(&v.http_headers)) }
                section { h2 { "WARC record headers" } (table(&v.warc_headers)) }
            }
            section {
                h2 { "Every capture of this URL" }
                (captures_table(&v.captures, Some(&c.timestamp)))
            }
        },
    )
}
