//! The modification date of a WordPress post that the page does not show, from the post's
//! own REST JSON (issue 15): a crawl with no profile of an in-process WordPress-like site
//! archives each post page's JSON once (a request/response pair, no article, no links
//! followed from it), and `glaneur articles` and `serve` fill `modified` from a good JSON
//! (method `wp-rest`) while a broken JSON, a 401 error object, a 404 and a JSON naming
//! another post change nothing. A profile with `wordpress_rest = false` fetches none.

use crate::support;

use std::collections::HashMap;
use std::time::Duration;

use glaneur::archive::scan::article_id;
use support::{Page, TestServer, crawl, glaneur, response_uris, settings};

const HOST: &str = "wp.test";
const PUBLISHED: &str = "2024-03-05T11:00:00+01:00";
const MODIFIED_GMT: &str = "2024-04-01T07:30:12";

/// One post of the site: its page path, its REST route, and what the route answers.
struct Post {
    id: u32,
    path: &'static str,
    rest: &'static str,
    answer: Option<Page>,
}

fn url(path: &str) -> String {
    format!("http://{HOST}{path}")
}

fn json(status: u16, body: &str) -> Page {
    Page {
        status,
        headers: vec![(
            "content-type".into(),
            "application/json; charset=UTF-8".into(),
        )],
        body: body.as_bytes().to_vec(),
        delay: Duration::ZERO,
    }
}

fn post_json(id: u32, link: &str) -> String {
    format!(
        r#"{{"id":{id},"date":"2024-03-05T11:00:00","date_gmt":"2024-03-05T10:00:00","modified":"2024-04-01T09:30:12","modified_gmt":"{MODIFIED_GMT}","slug":"p","status":"publish","type":"post","link":"{link}","title":{{"rendered":"Titre"}},"content":{{"rendered":"<p>Texte</p>","protected":false}},"author":2,"categories":[3]}}"#
    )
}

fn posts() -> Vec<Post> {
    vec![
        // A good JSON.
        Post {
            id: 21,
            path: "/2024/03/05/bon-json/",
            rest: "/wp-json/wp/v2/posts/21",
            answer: Some(json(200, &post_json(21, &url("/2024/03/05/bon-json/")))),
        },
        // Plain permalinks, and a JSON cut short.
        Post {
            id: 22,
            path: "/?p=22",
            rest: "/index.php?rest_route=/wp/v2/posts/22",
            answer: Some(json(200, &post_json(22, &url("/?p=22"))[..90])),
        },
        // REST turned off by a security plugin.
        Post {
            id: 23,
            path: "/2024/03/05/rest-ferme/",
            rest: "/wp-json/wp/v2/posts/23",
            answer: Some(json(
                401,
                r#"{"code":"rest_cannot_access","message":"Seuls les utilisateurs connectés.","data":{"status":401}}"#,
            )),
        },
        // No such route.
        Post {
            id: 24,
            path: "/2024/03/05/sans-route/",
            rest: "/wp-json/wp/v2/posts/24",
            answer: None,
        },
        // The JSON of another post.
        Post {
            id: 25,
            path: "/2024/03/05/autre-post/",
            rest: "/wp-json/wp/v2/posts/25",
            answer: Some(json(200, &post_json(26, &url("/2024/03/05/un-autre/")))),
        },
    ]
}

fn post_page(post: &Post) -> String {
    let paragraph = "Le conseil municipal a voté mardi soir le budget de l'année, après un long \
                     débat sur les investissements prévus pour les écoles et la voirie du quartier.";
    format!(
        r#"<!DOCTYPE html><html lang="fr-FR"><head><meta charset="utf-8">
<title>Article numéro {id} – Site WordPress</title>
<link rel="alternate" type="application/json" href="{rest}">
</head><body class="post-template-default single single-post postid-{id} single-format-standard wp-embed-responsive">
<main><article><h1 class="wp-block-post-title">Article numéro {id}</h1>
<div class="wp-block-post-date"><time datetime="{PUBLISHED}">5 mars 2024</time></div>
<div class="entry-content wp-block-post-content"><p>{paragraph}</p><p>{paragraph} Deuxième paragraphe.</p><p>{paragraph} Troisième.</p></div>
</article></main></body></html>"#,
        id = post.id,
        rest = url(post.rest),
    )
}

fn site(posts: &[Post]) -> HashMap<String, Page> {
    let mut pages = HashMap::new();
    let links: String = posts
        .iter()
        .map(|p| format!(r#"<a href="{}">Article {}</a> "#, p.path, p.id))
        .collect();
    pages.insert(
        "/".to_string(),
        Page::html(format!(
            "<html><body class=\"home blog\"><h1>Site</h1>{links}</body></html>"
        )),
    );
    for post in posts {
        pages.insert(post.path.to_string(), Page::html(post_page(post)));
        if let Some(answer) = &post.answer {
            pages.insert(post.rest.to_string(), answer.clone());
        }
    }
    pages
}

/// The rows of `glaneur articles --format jsonl`, by URL.
fn export(archive: &std::path::Path) -> (String, HashMap<String, serde_json::Value>) {
    let out = glaneur(&[
        "articles",
        "--archive",
        archive.to_str().expect("utf-8 path"),
        "--format",
        "jsonl",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8 output");
    let rows = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON row"))
        .map(|v| (v["url"].as_str().unwrap_or("").to_string(), v))
        .collect();
    (text, rows)
}

/// The method `serve` shows for the `modified` field of the article at `page`.
async fn served_method(
    archive: &std::path::Path,
    state: &std::path::Path,
    page: &str,
) -> (String, String) {
    let uri = format!("/api/articles/{}", article_id(page));
    let v = support::serve_api(archive, state, &uri).await;
    let article = &v["article"];
    (
        article["modified"].as_str().unwrap_or("").to_string(),
        article["methods"]["modified"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_json_fills_the_modified_date_the_page_does_not_show() {
    let dir = tempfile::tempdir().expect("temp dir");
    let posts = posts();
    let server = TestServer::start(HashMap::from([(HOST.to_string(), site(&posts))])).await;
    let s = settings(dir.path(), &server, &[HOST], &[&url("/")]);
    let archive = s.archive_dir.clone();
    let summary = crawl(s).await;

    // Each post's route asked once, and archived (the 401 and the 404 too).
    let paths = server.paths(HOST);
    for post in &posts {
        let asked = paths.iter().filter(|p| p.as_str() == post.rest).count();
        assert_eq!(asked, 1, "{}: {paths:?}", post.rest);
    }
    assert_eq!((summary.wp_rest, summary.wp_rest_failed), (5, 0));
    let archived = response_uris(&archive);
    for post in &posts {
        assert!(
            archived.contains(&url(post.rest)),
            "{}: {archived:?}",
            post.rest
        );
    }

    // The JSON is no article; only the good one changes its post's `modified`.
    let (text, rows) = export(&archive);
    let mut urls: Vec<&str> = rows.keys().map(String::as_str).collect();
    urls.sort_unstable();
    let mut expected: Vec<String> = posts.iter().map(|p| url(p.path)).collect();
    expected.sort_unstable();
    assert_eq!(urls, expected);
    let good = &rows[&url(posts[0].path)];
    assert_eq!(good["modified"], "2024-04-01T09:30:12+02:00");
    assert_eq!(good["published"], PUBLISHED);
    for post in &posts[1..] {
        let row = &rows[&url(post.path)];
        assert_eq!(row["modified"], PUBLISHED, "{}", post.path);
        assert_eq!(row["published"], PUBLISHED, "{}", post.path);
    }
    // Reading the archive again gives the same rows.
    assert_eq!(export(&archive).0, text);

    // `serve` shows the same date, and the method that found it.
    let state = tempfile::tempdir().expect("state dir");
    let good_page = url(posts[0].path);
    assert_eq!(
        served_method(&archive, state.path(), &good_page).await,
        (
            "2024-04-01T09:30:12+02:00".to_string(),
            "wp-rest".to_string()
        )
    );
    let other = url(posts[4].path);
    assert_eq!(
        served_method(&archive, state.path(), &other).await,
        (PUBLISHED.to_string(), "published".to_string())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_may_turn_the_post_json_off() {
    let dir = tempfile::tempdir().expect("temp dir");
    let posts = posts();
    let server = TestServer::start(HashMap::from([(HOST.to_string(), site(&posts))])).await;
    let mut s = settings(dir.path(), &server, &[HOST], &[&url("/")]);
    s.sites[0].wordpress_rest = false;
    let archive = s.archive_dir.clone();
    let summary = crawl(s).await;
    assert_eq!(summary.wp_rest, 0);
    let paths = server.paths(HOST);
    assert!(!paths.iter().any(|p| p.contains("wp/v2")), "{paths:?}");
    let (_, rows) = export(&archive);
    assert_eq!(rows.len(), posts.len());
    assert_eq!(rows[&url(posts[0].path)]["modified"], PUBLISHED);
}
