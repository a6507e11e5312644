//! The method of each field in the exports, and the date the WordPress post JSON gives
//! (issue 15): a crawl of a site whose posts get their publication date from different
//! rules (the post's REST JSON for a page that shows none, an `article:published_time`
//! meta, JSON-LD) exports a `methods` object in JSON Lines and one `<field>_method`
//! column each in CSV and Parquet; `--since/--until` and `serve`'s `from/to` see the
//! date the JSON gives; `get --article` shows the article as exported.

use crate::support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use glaneur::read::articles::{COLUMNS, METHOD_COLUMNS};
use support::{Page, TestServer, crawl, glaneur, settings};

const HOST: &str = "methodes.test";
/// The page of a post that shows no date: its REST JSON gives it.
const UNDATED: &str = "/actualite/sans-date/";
const REST: &str = "/wp-json/wp/v2/posts/31";
/// What the JSON gives (`date_gmt` at the offset of `date`).
const JSON_PUBLISHED: &str = "2024-03-05T11:00:00+01:00";
const META: &str = "/actualite/par-meta/";
const JSON_LD: &str = "/actualite/par-json-ld/";

fn url(path: &str) -> String {
    format!("http://{HOST}{path}")
}

fn paragraphs() -> String {
    let p = "Le conseil municipal a voté mardi soir le budget de l'année, après un long \
             débat sur les investissements prévus pour les écoles et la voirie du quartier.";
    format!("<p>{p}</p><p>{p} Deuxième paragraphe.</p><p>{p} Troisième paragraphe.</p>")
}

fn page(id: u32, head: &str) -> Page {
    Page::html(format!(
        r#"<!DOCTYPE html><html lang="fr-FR"><head><meta charset="utf-8">
<title>Article numéro {id} – Le Site</title>{head}
</head><body class="post-template-default single single-post postid-{id} single-format-standard">
<main><article><h1 class="entry-title">Article numéro {id}</h1>
<div class="entry-content">{body}</div>
</article></main></body></html>"#,
        body = paragraphs()
    ))
}

fn site() -> HashMap<String, Page> {
    let post_json = format!(
        r#"{{"id":31,"date":"2024-03-05T11:00:00","date_gmt":"2024-03-05T10:00:00","modified":"2024-04-01T09:30:12","modified_gmt":"2024-04-01T07:30:12","slug":"sans-date","status":"publish","type":"post","link":"{}","title":{{"rendered":"Article"}}}}"#,
        url(UNDATED)
    );
    let json_ld = r#"<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"Article numéro 33","datePublished":"2022-01-15T09:00:00Z"}</script>"#;
    let links: String = [UNDATED, META, JSON_LD]
        .iter()
        .map(|p| format!(r#"<a href="{p}">{p}</a> "#))
        .collect();
    HashMap::from([
        (
            "/".to_string(),
            Page::html(format!(
                "<html><body class=\"home blog\"><h1>Le Site</h1>{links}</body></html>"
            )),
        ),
        (
            UNDATED.to_string(),
            page(
                31,
                &format!(
                    r#"<link rel="alternate" type="application/json" href="{}">"#,
                    url(REST)
                ),
            ),
        ),
        (
            REST.to_string(),
            Page {
                status: 200,
                headers: vec![(
                    "content-type".into(),
                    "application/json; charset=UTF-8".into(),
                )],
                body: post_json.into_bytes(),
                delay: Duration::ZERO,
            },
        ),
        (
            META.to_string(),
            page(
                32,
                r#"<meta property="article:published_time" content="2023-06-01T08:00:00+00:00">"#,
            ),
        ),
        (JSON_LD.to_string(), page(33, json_ld)),
    ])
}

/// Crawls the site into `dir`; returns the archive folder.
async fn crawled(dir: &Path) -> PathBuf {
    let server = TestServer::start(HashMap::from([(HOST.to_string(), site())])).await;
    let s = settings(dir, &server, &[HOST], &[&url("/")]);
    let archive = s.archive_dir.clone();
    let summary = crawl(s).await;
    assert_eq!(summary.wp_rest, 1, "the post JSON is fetched");
    archive
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `glaneur articles` with `args`, its standard output.
fn articles(archive: &Path, args: &[&str]) -> Vec<u8> {
    let mut all = vec!["articles", "--archive", s(archive)];
    all.extend_from_slice(args);
    let out = glaneur(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The JSON Lines rows by URL.
fn jsonl_rows(archive: &Path, args: &[&str]) -> HashMap<String, serde_json::Value> {
    String::from_utf8(articles(archive, args))
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON row"))
        .map(|v| (v["url"].as_str().unwrap_or("").to_string(), v))
        .collect()
}

/// The published method expected of each article.
fn expected_methods() -> [(String, &'static str); 3] {
    [
        (url(UNDATED), "wp-rest"),
        (url(META), "meta"),
        (url(JSON_LD), "json-ld"),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn jsonl_rows_name_the_method_of_each_field() {
    let dir = tempfile::tempdir().expect("temp dir");
    let archive = crawled(dir.path()).await;
    let rows = jsonl_rows(&archive, &[]);
    assert_eq!(rows.len(), 3, "{rows:?}");
    for (u, method) in expected_methods() {
        let methods = &rows[&u]["methods"];
        assert_eq!(methods["published"], method, "{u}: {methods}");
        assert!(methods["title"].is_string(), "{u}: {methods}");
        assert!(methods["body"].is_string(), "{u}: {methods}");
        // Only the exported fields.
        let keys: Vec<&str> = methods
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert!(
            keys.iter()
                .all(|k| METHOD_COLUMNS.contains(&format!("{k}_method").as_str())),
            "{keys:?}"
        );
    }
    let undated = &rows[&url(UNDATED)];
    assert_eq!(undated["published"], JSON_PUBLISHED);
    assert_eq!(undated["methods"]["modified"], "wp-rest");
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_has_one_method_column_per_field() {
    let dir = tempfile::tempdir().expect("temp dir");
    let archive = crawled(dir.path()).await;
    let csv_text = articles(&archive, &["--format", "csv"]);
    let mut rdr = csv::Reader::from_reader(csv_text.as_slice());
    let header: Vec<String> = rdr
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let want: Vec<&str> = COLUMNS
        .iter()
        .chain(METHOD_COLUMNS.iter())
        .copied()
        .collect();
    assert_eq!(header, want);
    let rows: HashMap<String, HashMap<String, String>> = rdr
        .records()
        .map(|r| {
            let r = r.expect("a CSV row");
            let row: HashMap<String, String> = header
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect();
            (row["url"].clone(), row)
        })
        .collect();
    assert_eq!(rows.len(), 3);
    let jsonl = jsonl_rows(&archive, &[]);
    for (u, method) in expected_methods() {
        assert_eq!(rows[&u]["published_method"], method, "{u}");
        // Every method column says what the JSON Lines row says.
        for col in METHOD_COLUMNS {
            let field = col.trim_end_matches("_method");
            let json = jsonl[&u]["methods"][field].as_str().unwrap_or("");
            assert_eq!(rows[&u][col], json, "{u} {col}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn parquet_has_one_method_column_per_field() {
    use arrow_array::cast::AsArray;
    use arrow_array::{Array, RecordBatch};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let dir = tempfile::tempdir().expect("temp dir");
    let archive = crawled(dir.path()).await;
    let bytes = articles(&archive, &["--format", "parquet"]);
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .expect("a Parquet file");
    let names: Vec<String> = reader
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    // After the other columns, in their order.
    assert_eq!(&names[names.len() - METHOD_COLUMNS.len()..], METHOD_COLUMNS);
    let batches: Vec<RecordBatch> = reader
        .build()
        .expect("reader")
        .collect::<Result<_, _>>()
        .expect("batches");
    let jsonl = jsonl_rows(&archive, &[]);
    let mut seen = 0;
    for b in &batches {
        let urls = b
            .column_by_name("url")
            .expect("url")
            .as_string::<i32>()
            .clone();
        for i in 0..b.num_rows() {
            let u = urls.value(i).to_string();
            for col in METHOD_COLUMNS {
                let values = b.column_by_name(col).expect(col).as_string::<i32>().clone();
                let field = col.trim_end_matches("_method");
                let want = jsonl[&u]["methods"][field].as_str();
                let got = (!values.is_null(i)).then(|| values.value(i));
                assert_eq!(got, want, "{u} {col}");
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 3);
    let published: HashMap<String, String> = jsonl
        .iter()
        .map(|(u, r)| {
            (
                u.clone(),
                r["methods"]["published"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    for (u, method) in expected_methods() {
        assert_eq!(published[&u], method, "{u}");
    }
}

/// The URLs `serve` lists at `query`.
async fn served(archive: &Path, state: &Path, query: &str) -> Vec<String> {
    let v = support::serve_api(archive, state, &format!("/api/articles?{query}")).await;
    let mut urls: Vec<String> = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["url"].as_str().map(String::from))
        .collect();
    urls.sort();
    urls
}

#[tokio::test(flavor = "multi_thread")]
async fn date_filters_see_the_date_the_post_json_gives() {
    let dir = tempfile::tempdir().expect("temp dir");
    let archive = crawled(dir.path()).await;
    let sorted = |rows: HashMap<String, serde_json::Value>| {
        let mut v: Vec<String> = rows.into_keys().collect();
        v.sort();
        v
    };
    // The page shows no date; its JSON says 5 March 2024.
    let day = ["--since", "2024-03-05", "--until", "2024-03-05"];
    assert_eq!(sorted(jsonl_rows(&archive, &day)), vec![url(UNDATED)]);
    let before = sorted(jsonl_rows(&archive, &["--until", "2024-03-04"]));
    let mut want = vec![url(JSON_LD), url(META)];
    want.sort();
    assert_eq!(before, want);
    let after = sorted(jsonl_rows(&archive, &["--since", "2024-03-06"]));
    assert!(after.is_empty(), "{after:?}");
    // An instant bound: 10:00 UTC is the JSON's instant.
    let instant = [
        "--since",
        "2024-03-05T10:00:00Z",
        "--until",
        "2024-03-05T10:00:00Z",
    ];
    assert_eq!(sorted(jsonl_rows(&archive, &instant)), vec![url(UNDATED)]);
    let late = ["--since", "2024-03-05T10:00:01Z"];
    assert!(jsonl_rows(&archive, &late).is_empty());

    // `serve` gives its dates the same meaning.
    let state = tempfile::tempdir().expect("state dir");
    assert_eq!(
        served(&archive, state.path(), "from=2024-03-05&to=2024-03-05").await,
        vec![url(UNDATED)]
    );
    assert_eq!(served(&archive, state.path(), "to=2024-03-04").await, want);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_article_shows_the_article_as_exported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let archive = crawled(dir.path()).await;
    let out = glaneur(&["get", &url(UNDATED), "--archive", s(&archive), "--article"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let article: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let row = &jsonl_rows(&archive, &[])[&url(UNDATED)];
    assert_eq!(article["published"], JSON_PUBLISHED);
    assert_eq!(article["published"], row["published"]);
    assert_eq!(article["modified"], row["modified"]);
    assert_eq!(article["methods"]["published"], "wp-rest");
    assert_eq!(article["methods"]["modified"], "wp-rest");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&url(REST)) && stderr.contains("modified, published"),
        "{stderr}"
    );
    // A page that shows its date is given as stored.
    let out = glaneur(&["get", &url(META), "--archive", s(&archive), "--article"]);
    let article: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(article["methods"]["published"], "meta");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("post JSON"),
        "no JSON was read"
    );
}
