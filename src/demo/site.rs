//! The pages of the demo news site, generated from a seed, and their ground truth.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::extract::french_date;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use url::Url;

use super::text::{self, Rng};

/// The site's name, in page titles and headers.
pub const SITE_NAME: &str = "L'Écho numérique";
/// Articles per listing page.
pub const PER_PAGE: usize = 10;
/// Most articles a demo site may have.
pub const MAX_ARTICLES: u32 = 10_000;

const CATEGORIES: &[(&str, &str)] = &[
    ("Cloud", "cloud"),
    ("Cybersécurité", "cybersecurite"),
    ("Réseaux & Télécoms", "reseaux-telecoms"),
    ("Open Source", "open-source"),
    ("IA & Data", "ia-data"),
    ("Régulations", "regulations"),
];
const AUTHORS: &[&str] = &[
    "Camille Lefèvre",
    "Théo Marchand",
    "Inès Roussel",
    "Julien Garnier",
    "Sophie Perrin",
];

/// What an article page says, as an extractor should find it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArticleTruth {
    /// 1-based number of the article.
    pub id: u32,
    /// URL path, e.g. `/2024/01/cloud-souverain-0001/`.
    pub path: String,
    /// Headline.
    pub title: String,
    /// Category name.
    pub category: String,
    /// Author name.
    pub author: String,
    /// Publication time, RFC 3339 with the Paris winter offset.
    pub published: String,
    /// Last modification time, for about one article in three.
    pub modified: Option<String>,
    /// Paths of the articles of its "À lire aussi" block.
    pub related: Vec<String>,
    /// Words of the body paragraphs (the related block excluded).
    pub words: usize,
    /// The body paragraphs, as plain text.
    pub paragraphs: Vec<String>,
}

/// One resource of the site.
#[derive(Debug, Clone)]
pub struct DemoPage {
    /// `Content-Type` header value.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
    /// `Last-Modified` time, when the page has one.
    pub last_modified: Option<DateTime<Utc>>,
}

/// A generated news site: every page by path, and the truth about its articles.
#[derive(Debug, Clone)]
pub struct DemoSite {
    /// The site's root URL (canonical links, sitemap and feeds are absolute).
    pub base: Url,
    /// Every resource, by path (with query, if any).
    pub pages: BTreeMap<String, DemoPage>,
    /// The articles, oldest first.
    pub articles: Vec<ArticleTruth>,
}

impl DemoSite {
    /// Generates a site of `articles` articles (at most [`MAX_ARTICLES`]) under `base`:
    /// the same seed and count give byte-identical pages.
    pub fn generate(seed: u64, articles: u32, base: &Url) -> DemoSite {
        let count = articles.clamp(1, MAX_ARTICLES);
        let mut rng = Rng::new(seed);
        let articles = plan_articles(&mut rng, count);
        let mut site = DemoSite {
            base: base.clone(),
            pages: BTreeMap::new(),
            articles: Vec::new(),
        };
        for article in &articles {
            let page = site.article_page(article, &articles, &mut rng);
            site.insert_html(&article.truth.path, page, Some(article.last_change()));
        }
        site.articles = articles.iter().map(|a| a.truth.clone()).collect();
        site.add_listings(&articles);
        site.add_machine_files(&articles);
        site
    }

    /// An absolute URL of the site.
    pub fn url(&self, path: &str) -> String {
        self.base
            .join(path)
            .map(String::from)
            .unwrap_or_else(|_| path.to_string())
    }

    /// The article template's classes that [`DemoSite::redesign`] renames, old → new.
    pub const REDESIGN: &'static [(&'static str, &'static str)] = &[
        ("entry-title", "post-heading"),
        ("entry-meta", "post-byline"),
        ("entry-date published", "post-date"),
        ("updated", "post-update"),
        ("entry-content", "post-text"),
        ("entry-footer", "post-tail"),
        ("cat-links", "post-topics"),
        ("lire-aussi", "a-voir"),
    ];

    /// The site after a redesign of its article template: every article page's classes
    /// renamed as [`DemoSite::REDESIGN`] says (text, links, dates and ground truth
    /// unchanged), as when a publisher changes theme. Tests of `profile check` use it.
    pub fn redesign(&mut self) {
        for article in &self.articles {
            if let Some(page) = self.pages.get_mut(&article.path) {
                for (old, new) in Self::REDESIGN {
                    page.body = page
                        .body
                        .replace(&format!("class=\"{old}\""), &format!("class=\"{new}\""));
                }
            }
        }
    }

    /// Paths that robots.txt disallows (linked from every page).
    pub fn disallowed_paths(&self) -> Vec<String> {
        vec!["/recherche/?q=cloud".to_string()]
    }

    fn insert_html(&mut self, path: &str, body: String, last_modified: Option<DateTime<Utc>>) {
        self.pages.insert(
            path.to_string(),
            DemoPage {
                content_type: "text/html; charset=utf-8",
                body,
                last_modified,
            },
        );
    }

    fn article_page(&self, article: &Planned, all: &[Planned], rng: &mut Rng) -> String {
        let t = &article.truth;
        let (cat_name, cat_slug) = CATEGORIES[article.category];
        let mut content = String::new();
        for (i, p) in t.paragraphs.iter().enumerate() {
            let _ = writeln!(content, "<p>{}</p>", esc(p));
            if i == 1 {
                content.push_str(&related_block(&t.related, all));
            }
        }
        let modified = t.modified.as_deref().map_or(String::new(), |m| {
            format!(
                " · mis à jour le <time class=\"updated\" datetime=\"{m}\">{}</time>",
                french_date(m, false)
            )
        });
        let popular: String = (0..3)
            .map(|_| &rng.pick(all).truth)
            .map(|a| format!("<li><a href=\"{}\">{}</a></li>", a.path, esc(&a.title)))
            .collect();
        let head = self.head(
            &t.title,
            &t.path,
            &format!(
                "<meta property=\"og:type\" content=\"article\"><meta name=\"author\" content=\"{}\">",
                esc(&t.author)
            ),
        );
        format!(
            "{head}<body>{header}<main><article class=\"post hentry\">\
             <h1 class=\"entry-title\">{title}</h1>\n\
             <div class=\"entry-meta\">Par <a rel=\"author\" href=\"/auteur/{author_slug}/\">{author}</a>, \
             le <time class=\"entry-date published\" datetime=\"{published}\">{published_fr}</time>{modified}</div>\n\
             <div class=\"entry-content\">\n{content}</div>\n\
             <footer class=\"entry-footer\"><div class=\"cat-links\">Catégories : \
             <a href=\"/categorie/{cat_slug}/\" rel=\"category tag\">{cat_name}</a></div></footer>\
             </article></main>\n<aside class=\"widget-area\"><h2>Les plus lus</h2><ul>{popular}</ul></aside>{footer}</body></html>\n",
            header = page_header(),
            title = esc(&t.title),
            author = esc(&t.author),
            author_slug = text::slugify(&t.author, 40),
            published = t.published,
            published_fr = french_date(&t.published, false),
            cat_name = esc(cat_name),
            footer = page_footer(),
        )
    }

    fn head(&self, title: &str, path: &str, extra: &str) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"fr-FR\"><head><meta charset=\"utf-8\">\
             <title>{} - {}</title><link rel=\"canonical\" href=\"{}\">\
             <link rel=\"alternate\" type=\"application/rss+xml\" title=\"{}\" href=\"{}\">{extra}</head>\n",
            esc(title),
            esc(SITE_NAME),
            self.url(path),
            esc(SITE_NAME),
            self.url("/feed/"),
        )
    }

    /// Home page, `/page/K/`, category listings with their pages, author pages.
    fn add_listings(&mut self, articles: &[Planned]) {
        let newest: Vec<&ArticleTruth> = articles.iter().rev().map(|a| &a.truth).collect();
        self.add_paged("/", SITE_NAME, &newest);
        for (index, (name, slug)) in CATEGORIES.iter().enumerate() {
            let in_category: Vec<&ArticleTruth> = articles
                .iter()
                .rev()
                .filter(|a| a.category == index)
                .map(|a| &a.truth)
                .collect();
            self.add_paged(&format!("/categorie/{slug}/"), name, &in_category);
        }
        for author in AUTHORS {
            let by: Vec<&ArticleTruth> = newest
                .iter()
                .copied()
                .filter(|a| a.author == *author)
                .collect();
            let path = format!("/auteur/{}/", text::slugify(author, 40));
            self.add_paged(&path, &format!("Articles de {author}"), &by);
        }
        let legal = format!(
            "{}<body>{}<main><h1>Mentions légales</h1><p>{} est un site de démonstration, \
             généré par glaneur. Ses articles sont fictifs.</p></main>{}</body></html>\n",
            self.head("Mentions légales", "/mentions-legales/", ""),
            page_header(),
            esc(SITE_NAME),
            page_footer()
        );
        self.insert_html("/mentions-legales/", legal, None);
    }

    /// A listing of `items`, [`PER_PAGE`] per page: `base`, then `base` + `page/K/`.
    fn add_paged(&mut self, base: &str, heading: &str, items: &[&ArticleTruth]) {
        let pages = items.len().div_ceil(PER_PAGE).max(1);
        for k in 1..=pages {
            let path = page_path(base, k);
            let chunk = items.iter().skip((k - 1) * PER_PAGE).take(PER_PAGE);
            let list: String = chunk
                .map(|a| {
                    format!(
                        "<article class=\"post\"><h2 class=\"entry-title\"><a href=\"{}\">{}</a></h2>\
                         <time datetime=\"{}\">{}</time><p>{}</p></article>\n",
                        a.path,
                        esc(&a.title),
                        a.published,
                        french_date(&a.published, false),
                        esc(a.paragraphs.first().map_or("", |p| first_sentence(p)))
                    )
                })
                .collect();
            let mut nav = String::new();
            if k > 1 {
                let _ = write!(
                    nav,
                    "<a class=\"prev\" href=\"{}\">Page précédente</a> ",
                    page_path(base, k - 1)
                );
            }
            if k < pages {
                let _ = write!(
                    nav,
                    "<a class=\"next\" href=\"{}\">Page suivante</a>",
                    page_path(base, k + 1)
                );
            }
            let title = if k > 1 {
                format!("{heading} - page {k}")
            } else {
                heading.to_string()
            };
            let html = format!(
                "{}<body>{}<main><h1>{}</h1>\n{list}<nav class=\"pagination\">{nav}</nav></main>{}</body></html>\n",
                self.head(&title, &path, ""),
                page_header(),
                esc(heading),
                page_footer()
            );
            let newest = items.first().map(|a| parse_time(&a.published));
            self.insert_html(&path, html, newest);
        }
    }

    /// robots.txt, the sitemap, the RSS and Atom feeds.
    fn add_machine_files(&mut self, articles: &[Planned]) {
        let robots = format!(
            "User-agent: *\nDisallow: /recherche/\n\nSitemap: {}\n",
            self.url("/sitemap.xml")
        );
        self.insert_text("/robots.txt", "text/plain; charset=utf-8", robots);
        let mut sitemap = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        for a in articles {
            let lastmod = a.truth.modified.as_deref().unwrap_or(&a.truth.published);
            let _ = writeln!(
                sitemap,
                "<url><loc>{}</loc><lastmod>{lastmod}</lastmod></url>",
                self.url(&a.truth.path)
            );
        }
        sitemap.push_str("</urlset>\n");
        self.insert_text("/sitemap.xml", "application/xml", sitemap);
        let latest: Vec<&ArticleTruth> = articles.iter().rev().take(20).map(|a| &a.truth).collect();
        let rss = self.rss(&latest);
        self.insert_text("/feed/", "application/rss+xml; charset=utf-8", rss);
        let atom = self.atom(&latest);
        self.insert_text("/feed/atom/", "application/atom+xml; charset=utf-8", atom);
    }

    fn insert_text(&mut self, path: &str, content_type: &'static str, body: String) {
        self.pages.insert(
            path.to_string(),
            DemoPage {
                content_type,
                body,
                last_modified: None,
            },
        );
    }

    fn rss(&self, latest: &[&ArticleTruth]) -> String {
        let mut rss = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>{}</title><link>{}</link><description>Actualités du numérique (démo)</description>\n",
            esc(SITE_NAME),
            self.url("/")
        );
        for a in latest {
            let _ = writeln!(
                rss,
                "<item><title>{}</title><link>{}</link><guid>{}</guid><pubDate>{}</pubDate><category>{}</category></item>",
                esc(&a.title),
                self.url(&a.path),
                self.url(&a.path),
                parse_time(&a.published).to_rfc2822(),
                esc(&a.category)
            );
        }
        rss.push_str("</channel></rss>\n");
        rss
    }

    fn atom(&self, latest: &[&ArticleTruth]) -> String {
        let updated = latest
            .first()
            .map(|a| a.modified.clone().unwrap_or_else(|| a.published.clone()))
            .unwrap_or_default();
        let mut atom = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>{}</title><id>{}</id><updated>{updated}</updated>\n",
            esc(SITE_NAME),
            self.url("/")
        );
        for a in latest {
            let _ = writeln!(
                atom,
                "<entry><title>{}</title><id>{}</id><link href=\"{}\"/><published>{}</published><updated>{}</updated><author><name>{}</name></author></entry>",
                esc(&a.title),
                self.url(&a.path),
                self.url(&a.path),
                a.published,
                a.modified.as_deref().unwrap_or(&a.published),
                esc(&a.author)
            );
        }
        atom.push_str("</feed>\n");
        atom
    }
}

/// An article before its page is written.
struct Planned {
    truth: ArticleTruth,
    category: usize,
}

impl Planned {
    fn last_change(&self) -> DateTime<Utc> {
        parse_time(
            self.truth
                .modified
                .as_deref()
                .unwrap_or(&self.truth.published),
        )
    }
}

/// Titles, dates, categories, authors, bodies and related links of every article.
fn plan_articles(rng: &mut Rng, count: u32) -> Vec<Planned> {
    let paris = FixedOffset::east_opt(3600).expect("one hour is a valid offset");
    let first_day = NaiveDate::from_ymd_opt(2024, 1, 8).unwrap_or_default();
    let mut planned: Vec<Planned> = Vec::with_capacity(count as usize);
    for id in 1..=count {
        let title = text::title(rng);
        let category = rng.range(0, CATEGORIES.len() as u64 - 1) as usize;
        let author = rng.pick(AUTHORS).to_string();
        let day = first_day + Duration::days(i64::from(id / 2));
        let hour = rng.range(7, 18) as u32;
        let minute = rng.range(0, 59) as u32;
        let published = paris
            .from_local_datetime(&day.and_hms_opt(hour, minute, 0).unwrap_or_default())
            .single()
            .unwrap_or_default();
        let modified = (rng.range(0, 2) == 0)
            .then(|| (published + Duration::hours(rng.range(20, 70) as i64)).to_rfc3339());
        let paragraphs: Vec<String> = (0..rng.range(4, 7)).map(|_| text::paragraph(rng)).collect();
        let words = paragraphs
            .iter()
            .map(|p| p.split_whitespace().count())
            .sum();
        let path = format!(
            "/{}/{}/{}-{id:04}/",
            day.format("%Y"),
            day.format("%m"),
            text::slugify(&title, 50)
        );
        let related = pick_related(rng, &planned, category);
        planned.push(Planned {
            truth: ArticleTruth {
                id,
                path,
                title,
                category: CATEGORIES[category].0.to_string(),
                author,
                published: published.to_rfc3339(),
                modified,
                related,
                words,
                paragraphs,
            },
            category,
        });
    }
    planned
}

/// Up to three earlier articles, the latest of the same category first.
fn pick_related(rng: &mut Rng, earlier: &[Planned], category: usize) -> Vec<String> {
    let mut related: Vec<String> = earlier
        .iter()
        .rev()
        .filter(|a| a.category == category)
        .take(2)
        .map(|a| a.truth.path.clone())
        .collect();
    if !earlier.is_empty() {
        let other = &rng.pick(earlier).truth.path;
        if !related.contains(other) {
            related.push(other.clone());
        }
    }
    related
}

fn related_block(related: &[String], all: &[Planned]) -> String {
    if related.is_empty() {
        return String::new();
    }
    let items: String = related
        .iter()
        .filter_map(|path| all.iter().find(|a| &a.truth.path == path))
        .map(|a| {
            format!(
                "<li><a href=\"{}\">{}</a></li>",
                a.truth.path,
                esc(&a.truth.title)
            )
        })
        .collect();
    format!("<div class=\"lire-aussi\"><strong>À lire aussi :</strong><ul>{items}</ul></div>\n")
}

fn page_header() -> String {
    let categories: String = CATEGORIES
        .iter()
        .map(|(name, slug)| format!(" <a href=\"/categorie/{slug}/\">{}</a>", esc(name)))
        .collect();
    format!(
        "<header id=\"masthead\"><p class=\"site-title\"><a href=\"/\">{}</a></p>\
         <nav class=\"main-navigation\"><a href=\"/\">Accueil</a>{categories} \
         <a href=\"/recherche/?q=cloud\">Rechercher</a></nav></header>\n",
        esc(SITE_NAME)
    )
}

fn page_footer() -> String {
    "\n<footer id=\"colophon\"><a href=\"/mentions-legales/\">Mentions légales</a> \
     <a href=\"/feed/\">RSS</a> <a href=\"/feed/atom/\">Atom</a> \
     <a href=\"mailto:redaction@example.org\">Contact</a></footer>"
        .to_string()
}

fn page_path(base: &str, k: usize) -> String {
    if k <= 1 {
        base.to_string()
    } else {
        format!("{base}page/{k}/")
    }
}

fn first_sentence(paragraph: &str) -> &str {
    paragraph
        .find(". ")
        .map_or(paragraph, |end| &paragraph[..=end])
}

fn parse_time(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// Escapes text for HTML content and double-quoted attributes.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("http://demo.test/").expect("base")
    }

    #[test]
    fn the_same_seed_gives_the_same_site() {
        let a = DemoSite::generate(1, 30, &base());
        let b = DemoSite::generate(1, 30, &base());
        let c = DemoSite::generate(2, 30, &base());
        let bodies = |s: &DemoSite| s.pages.values().map(|p| p.body.clone()).collect::<Vec<_>>();
        assert_eq!(bodies(&a), bodies(&b));
        assert_ne!(bodies(&a), bodies(&c));
        assert_eq!(a.articles.len(), 30);
    }

    #[test]
    fn every_link_of_every_page_leads_to_a_page() {
        let site = DemoSite::generate(3, 25, &base());
        let disallowed = site.disallowed_paths();
        for (path, page) in &site.pages {
            for href in page.body.split("href=\"").skip(1) {
                let target = &href[..href.find('"').unwrap_or(0)];
                if target.starts_with("mailto:") || target.starts_with("http") {
                    continue;
                }
                assert!(
                    site.pages.contains_key(target) || disallowed.iter().any(|d| d == target),
                    "{path} links to missing {target}"
                );
            }
        }
        assert!(site.pages.contains_key("/page/2/"));
        assert!(
            site.pages["/robots.txt"]
                .body
                .contains("Sitemap: http://demo.test/sitemap.xml")
        );
    }

    #[test]
    fn dates_are_written_in_french() {
        assert_eq!(
            french_date("2024-03-12T14:05:00+01:00", false),
            "12 mars 2024"
        );
    }
}
