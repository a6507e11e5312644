//! Class and id hints: what the names a page gives its elements say about them
//! (boilerplate regions in several languages, content containers, dates, reader comments,
//! live coverage). One Aho-Corasick pass over the names finds every keyword; results are
//! remembered per distinct (class, id) pair on each thread ([`Cache`]).

use std::hash::BuildHasher;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use hashbrown::HashTable;

/// A boilerplate region, whatever it contains (unless it wraps the article).
pub const HARD: u32 = 1;
/// Boilerplate only when it holds little paragraph text.
pub const SOFT: u32 = 1 << 1;
/// A content container's name (`article`, `body`, `content`, …).
pub const CONTENT: u32 = 1 << 2;
/// Reader comments and dialogs over the page: never a layout wrapper.
pub const STRICT: u32 = 1 << 3;
/// Noisy areas for dates and categories (comments, sidebars, related, teasers).
pub const NOISE: u32 = 1 << 4;
/// A page footer (`footer`, `colophon`).
pub const FOOTER: u32 = 1 << 5;
/// A date or byline element.
pub const DATE: u32 = 1 << 6;
/// A class or id that is exactly a boilerplate region's name (`id="sidebar"`).
pub const EXACT: u32 = 1 << 7;
/// A caption, legend or credit of a picture.
pub const CAPTION: u32 = 1 << 8;

/// Live coverage: comment words then name the article's entries, not reader comments.
const LIVE: u32 = 1 << 30;
/// A reader-comment word (cancelled by [`LIVE`]).
const COMMENT_WORD: u32 = 1 << 31;

/// Keywords and their flags. `^` at the start: the keyword starts a word; `$` at the end:
/// it ends one (words are runs of ASCII letters and digits).
const KEYWORDS: &[(&str, u32)] = &[
    // Reader comments.
    ("comment", HARD | STRICT | NOISE | COMMENT_WORD),
    ("disqus", HARD | STRICT | NOISE),
    ("respond", HARD | STRICT | NOISE | COMMENT_WORD),
    ("replies", HARD | STRICT | NOISE | COMMENT_WORD),
    ("reply", NOISE | COMMENT_WORD),
    ("reactions", STRICT),
    ("kommentar", HARD | STRICT | NOISE | COMMENT_WORD),
    ("commentaire", STRICT | COMMENT_WORD),
    ("comentario", STRICT | COMMENT_WORD),
    ("leserbrief", HARD),
    ("livefyre", HARD),
    ("shoutbox", HARD),
    // Dialogs over the page.
    ("cookie", HARD | STRICT),
    ("consent", HARD | STRICT),
    ("gdpr", HARD | STRICT),
    ("privacy", HARD | STRICT),
    ("modal", HARD | STRICT),
    ("popup", HARD | STRICT),
    ("dialog", STRICT),
    ("overlay", STRICT),
    ("agegate", HARD),
    // Related, recommended, popular.
    ("related", HARD | NOISE),
    ("recommend", HARD | NOISE),
    ("outbrain", HARD),
    ("taboola", HARD),
    ("morestories", HARD),
    ("more-stories", HARD),
    ("morefrom", HARD),
    ("more-from", HARD),
    ("alsoread", HARD),
    ("also-read", HARD),
    ("readnext", HARD),
    ("read-next", HARD),
    ("upnext", HARD),
    ("up-next", HARD),
    ("popular", HARD | NOISE),
    ("mostread", HARD | NOISE),
    ("most-read", HARD | NOISE),
    ("trending", HARD | NOISE),
    ("recent", NOISE),
    ("plus-lus", HARD | NOISE),
    ("lire-aussi", HARD | NOISE),
    ("a-lire", HARD),
    ("jp-relatedposts", HARD),
    ("recirc", HARD),
    ("teaser", HARD | NOISE),
    ("lesen-sie", HARD),
    ("lesensie", HARD),
    ("weitere", HARD),
    ("empfehl", HARD),
    ("verwandt", HARD),
    ("meistgelesen", HARD),
    ("mas-leid", HARD),
    ("masleid", HARD),
    ("relacionad", HARD),
    ("correlat", HARD),
    ("lees-ook", HARD),
    ("leesook", HARD),
    ("gerelateerd", HARD),
    // Sharing, newsletters, calls to action, support appeals.
    ("newsletter", HARD | NOISE),
    ("signup", HARD),
    ("sign-up", HARD),
    ("share", HARD),
    ("sharing", HARD),
    ("social", HARD),
    ("follow-us", HARD),
    ("followus", HARD),
    ("subscription", HARD),
    ("support-us", HARD),
    ("supportus", HARD),
    ("donat", HARD),
    ("membership", HARD),
    ("become-a-member", HARD),
    ("^cta$", HARD),
    ("-cta$", HARD),
    ("^cta-", HARD),
    ("login", HARD),
    ("register", HARD),
    ("search", HARD),
    // Navigation and page furniture.
    ("breadcrumb", HARD),
    ("sidebar", HARD | NOISE),
    ("widget", SOFT | NOISE),
    ("navbar", HARD),
    ("^nav$", HARD),
    ("navigation", HARD),
    ("^menu", HARD),
    ("pagination", HARD),
    ("pager", HARD),
    ("toolbar", HARD),
    ("skip-link", HARD),
    ("screen-reader", HARD),
    ("sr-only", HARD),
    ("visually-hidden", HARD),
    ("footer", HARD | FOOTER),
    ("colophon", FOOTER),
    ("masthead", HARD),
    ("banner", HARD),
    ("skyscraper", HARD),
    ("combx", HARD),
    ("cover-wrap", HARD),
    ("ai2html", HARD),
    ("supplemental", HARD),
    ("print-only", HARD),
    ("^rss$", HARD),
    ("^toc$", HARD),
    ("toc_", HARD),
    ("^toc-", HARD),
    ("table-of-contents", HARD),
    ("inhaltsverzeichnis", HARD),
    // Advertising and sponsored content.
    ("advert", HARD),
    ("^ad$", HARD),
    ("^ads$", HARD),
    ("-ad-", HARD),
    ("-ads-", HARD),
    ("^ad-", HARD),
    ("-ad$", HARD),
    ("sponsor", HARD),
    ("promo", HARD),
    ("disclaimer", HARD),
    ("disclosure", HARD),
    ("affiliate", HARD),
    ("rating", HARD),
    // Bylines, author boxes, tags, metadata.
    ("byline", HARD | DATE),
    ("authorbio", HARD),
    ("author-bio", HARD),
    ("authorinfo", HARD),
    ("author-info", HARD),
    ("about-the-author", HARD),
    ("aboutauthor", HARD),
    ("about-author", HARD),
    ("authorbox", HARD),
    ("author-box", HARD),
    ("autorbox", HARD),
    ("autorenbox", HARD),
    ("autoren-box", HARD),
    ("sabox", HARD),
    ("taglist", HARD),
    ("tag-list", HARD),
    ("^tags$", HARD),
    ("postmetadata", HARD | DATE),
    ("nota_pie", HARD),
    ("editornote", HARD),
    ("editor-note", HARD),
    ("editorsnote", HARD),
    ("editors-note", HARD),
    // Embedded posts.
    ("twitter-tweet", HARD),
    ("instagram-media", HARD),
    ("tiktok-embed", HARD),
    ("fb-post", HARD),
    // Soft hints.
    ("gallery", SOFT),
    ("caption", SOFT | CAPTION),
    ("legend", SOFT | CAPTION),
    ("legende", SOFT | CAPTION),
    ("bildtext", SOFT | CAPTION),
    ("didascalia", SOFT | CAPTION),
    ("pie-de-foto", SOFT | CAPTION),
    ("photo-credit", SOFT | CAPTION),
    ("bildunter", SOFT | CAPTION),
    ("credit", SOFT | CAPTION),
    ("media", SOFT),
    ("embed", SOFT),
    ("header", SOFT),
    ("hidden", SOFT),
    ("print", SOFT),
    ("tools", SOFT),
    ("extra", SOFT),
    ("meta", SOFT | DATE),
    ("aside", SOFT),
    ("card", SOFT),
    ("slide", SOFT),
    // Picture carousels and slideshows (a slideshow's own `…-content` is the article's).
    ("carousel", HARD),
    ("slideshow", HARD),
    ("video", SOFT),
    ("photo", SOFT),
    ("image", SOFT),
    ("figure", SOFT),
    ("thumb", SOFT),
    ("icon", SOFT),
    ("logo", SOFT),
    ("button", SOFT),
    ("btn", SOFT),
    ("badge", SOFT),
    ("label", SOFT),
    ("date", SOFT | DATE),
    ("time", SOFT | DATE),
    ("author", SOFT),
    ("signature", SOFT),
    ("bio$", SOFT),
    ("contact", SOFT),
    ("legal", SOFT),
    ("copyright", SOFT | CAPTION),
    ("note", SOFT),
    ("source", SOFT),
    ("info", SOFT),
    // Content containers.
    ("article", CONTENT),
    ("body", CONTENT),
    ("column", CONTENT),
    ("content", CONTENT),
    ("main", CONTENT),
    ("entry", CONTENT),
    ("story", CONTENT),
    ("post-text", CONTENT),
    ("prose", CONTENT),
    ("text", CONTENT),
    ("corps", CONTENT),
    ("contenu", CONTENT),
    ("artikel", CONTENT),
    ("inhalt", CONTENT),
    ("cuerpo", CONTENT),
    ("testo", CONTENT),
    ("conteudo", CONTENT),
    ("inhoud", CONTENT),
    // Dates and bylines.
    ("posted", DATE),
    ("publi", DATE),
    ("dateline", DATE),
    ("articleinfo", DATE),
    ("article-info", DATE),
    ("submitted", DATE),
    ("datum", DATE),
    ("fecha", DATE),
    ("data", DATE),
    // Live coverage.
    ("^live", LIVE),
];

/// Names that are exactly a boilerplate region.
const EXACT_NAMES: &[&str] = &[
    "sidebar",
    "side-bar",
    "comments",
    "comment",
    "related",
    "footer",
    "nav",
    "navigation",
    "menu",
    "share",
    "social",
    "secondary",
    "aside",
];

struct Keyword {
    flags: u32,
    start: bool,
    end: bool,
}

static MATCHER: LazyLock<(AhoCorasick, Vec<Keyword>)> = LazyLock::new(|| {
    let mut pats = Vec::new();
    let mut kws = Vec::new();
    for &(k, flags) in KEYWORDS {
        let start = k.starts_with('^');
        let end = k.ends_with('$');
        let k = k.trim_start_matches('^').trim_end_matches('$');
        pats.push(k);
        kws.push(Keyword { flags, start, end });
    }
    let ac = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(&pats)
        .expect("constant keywords");
    (ac, kws)
});

fn word_char(b: Option<&u8>) -> bool {
    b.is_some_and(u8::is_ascii_alphanumeric)
}

fn scan(s: &str, acc: &mut u32, comment: &mut u32) {
    if s.is_empty() {
        return;
    }
    let (ac, kws) = &*MATCHER;
    let b = s.as_bytes();
    for m in ac.find_overlapping_iter(s) {
        let kw = &kws[m.pattern().as_usize()];
        if kw.start && m.start() > 0 && word_char(b.get(m.start() - 1)) {
            continue;
        }
        if kw.end && word_char(b.get(m.end())) {
            continue;
        }
        if kw.flags & COMMENT_WORD != 0 {
            *comment |= kw.flags & !COMMENT_WORD;
        } else {
            *acc |= kw.flags;
        }
    }
}

/// The class of a post without its taxonomy terms: WordPress writes `category-<slug>` and
/// `tag-<slug>` on every post (`hentry type-post category-popular tag-comments`), words
/// that name the post's subject, not the region's role.
fn without_taxonomy_terms(class: &str) -> std::borrow::Cow<'_, str> {
    let is_post = class
        .split_ascii_whitespace()
        .any(|t| t.eq_ignore_ascii_case("hentry") || t.starts_with("type-"));
    if !is_post || !(class.contains("category-") || class.contains("tag-")) {
        return std::borrow::Cow::Borrowed(class);
    }
    let kept: Vec<&str> = class
        .split_ascii_whitespace()
        .filter(|t| !t.starts_with("category-") && !t.starts_with("tag-"))
        .collect();
    std::borrow::Cow::Owned(kept.join(" "))
}

/// The flags of a (class, id) pair.
pub fn classify(class: &str, id: &str) -> u32 {
    let mut acc = 0;
    let mut comment = 0;
    let class = &*without_taxonomy_terms(class);
    scan(class, &mut acc, &mut comment);
    scan(id, &mut acc, &mut comment);
    if acc & LIVE == 0 {
        acc |= comment;
    }
    let exact = class
        .split_ascii_whitespace()
        .chain(std::iter::once(id))
        .any(|t| EXACT_NAMES.iter().any(|e| e.eq_ignore_ascii_case(t)));
    if exact {
        acc |= EXACT;
    }
    acc & !LIVE
}

/// Distinct (class, id) pairs in each generation of a thread's [`Cache`] memory.
const CACHE_GENERATION: usize = 4096;

/// A classified pair: class, id, flags.
type Classified = (Box<str>, Box<str>, u32);

/// A thread's memory of classified (class, id) pairs, in two generations (the young one,
/// once full, becomes the old one; a pair found in the old one is brought back): the
/// names of a site's templates are classified once per thread, not once per page.
#[derive(Default)]
struct Memory {
    young: HashTable<Classified>,
    old: HashTable<Classified>,
    /// Seeded per process: a page cannot craft names that collide.
    hasher: foldhash::fast::RandomState,
}

thread_local! {
    static MEMORY: std::cell::RefCell<Memory> = std::cell::RefCell::default();
}

/// [`classify`], remembered on this thread.
#[derive(Default)]
pub struct Cache;

impl Cache {
    /// The flags of an element's class and id.
    pub fn get(&mut self, class: &str, id: &str) -> u32 {
        if class.is_empty() && id.is_empty() {
            return 0;
        }
        let is = |e: &Classified| &*e.0 == class && &*e.1 == id;
        MEMORY.with(|memory| {
            let mut memory = memory.borrow_mut();
            let hasher = memory.hasher.clone();
            let hash = hasher.hash_one((class, id));
            if let Some(e) = memory.young.find(hash, is) {
                return e.2;
            }
            let flags = match memory.old.find(hash, is) {
                Some(e) => e.2,
                None => classify(class, id),
            };
            if memory.young.len() >= CACHE_GENERATION {
                memory.old = std::mem::take(&mut memory.young);
            }
            memory
                .young
                .insert_unique(hash, (class.into(), id.into(), flags), |e| {
                    hasher.hash_one((&*e.0, &*e.1))
                });
            flags
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_and_word_boundaries() {
        assert_eq!(
            classify("comments-area", "") & (HARD | STRICT),
            HARD | STRICT
        );
        assert_eq!(classify("live-match-comment", "") & HARD, 0);
        assert_ne!(classify("nav", "") & HARD, 0);
        assert_eq!(classify("canvas", "") & HARD, 0);
        assert_ne!(classify("top-ad", "") & HARD, 0);
        assert_eq!(classify("header-loaded", "") & HARD, 0);
        assert_ne!(classify("", "sidebar") & EXACT, 0);
        assert_eq!(classify("has-sidebar", "") & EXACT, 0);
        assert_ne!(classify("entry-content", "") & CONTENT, 0);
        assert_ne!(classify("post-DATE", "") & DATE, 0);
        assert_eq!(classify("", ""), 0);
    }

    #[test]
    fn remembered_flags_are_the_flags() {
        let mut cache = Cache;
        let names = [
            "comments-area",
            "entry-content",
            "post-DATE",
            "nav",
            "sidebar",
            "",
        ];
        for round in 0..3 * CACHE_GENERATION {
            let class = names[round % names.len()];
            let id = if round % 7 == 0 { "sidebar" } else { "" };
            assert_eq!(
                cache.get(class, id),
                classify(class, id),
                "{class:?} {id:?}"
            );
            // Pairs seen once push the others towards the old generation.
            let once = format!("unique-{round}");
            assert_eq!(cache.get(&once, ""), classify(&once, ""));
        }
    }

    #[test]
    fn taxonomy_terms_of_a_post_are_not_region_names() {
        let post = "post-7 post type-post status-publish hentry category-popular tag-comments";
        assert_eq!(classify(post, "") & (HARD | NOISE | STRICT), 0);
        // Outside a post's class list, the same words still name a region.
        assert_ne!(classify("category-popular", "") & NOISE, 0);
        assert_ne!(classify("tag-list", "") & HARD, 0);
    }
}
