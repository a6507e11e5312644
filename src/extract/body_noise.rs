//! Boilerplate told by its words, in the generic path's text: affiliate disclaimers
//! ("we may earn a commission", "Cet article contient des liens affiliés"), subscription
//! and donation appeals (and the boxes, collapsed or hidden, that hold them), labelled
//! round-ups of linked headlines ("Read more:", "Lire aussi", "Mehr zum Thema"), credit and
//! dateline lines standing alone at the start or end of the text ("Source: …",
//! "Crédit photo : …"), and the opening scaffolding of live blogs ("Live updates",
//! "Refresh", "Key events"). Each rule needs the words *and* the shape (a short paragraph,
//! a first-person or second-person call, a line at the edge of the text, a run of links),
//! so that a sentence of the article that merely mentions a commission or a source stays.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use super::dom::Dom;
use super::teasers::ends_sentence;

/// A paragraph of the emitted text and what the cleaning walk knew of it.
pub(super) struct Para {
    /// The text, whitespace collapsed; empty where a block of links was left out.
    pub text: String,
    /// The paragraph is a heading.
    pub head: bool,
    /// Characters of the text inside links.
    pub link: u32,
}

impl Para {
    /// The mark of a block of links left out (a round-up's list): the short linked lines
    /// right after it belong to it.
    pub const LINKS_DROPPED: Para = Para {
        text: String::new(),
        head: false,
        link: 0,
    };

    fn is_mark(&self) -> bool {
        self.text.is_empty()
    }

    /// A short line, mostly links, that is no sentence (a paragraph with its words
    /// linked to sources ends with a full stop; a headline does not).
    fn linked_line(&self) -> bool {
        self.text.chars().count() <= MAX_ROUNDUP_CHARS
            && linked(self, 0, 2)
            && !self.text.ends_with(['.', '!', '?', '。'])
    }
}

/// Compiles a constant pattern; `\b` is an ASCII word boundary (Unicode ones keep the
/// regex engine off its fast automaton on non-ASCII text; the keywords start and end with
/// ASCII letters).
pub(super) fn re(pattern: &str) -> Regex {
    Regex::new(&pattern.replace(r"\b", r"(?-u:\b)")).expect("constant regex")
}

/// Words of an affiliate arrangement (a commission or fee earned on sales, affiliate or
/// partner links), en, fr, de, es, it.
static AFFILIATE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)affiliat|affilié|afiliad|affiliazion|affiliati\b|amazon[- ]?(?:partner|associate)|partner-?links?\b|(?:eine|kleine|geringe)\s+provision|\b(?:earn|get|receive|make|collect)\w*\s+(?:(?:a|an)\s+)?(?:small\s+)?(?:share|commission|fee|compensation)|\b(?:percevoir|toucher|percevons|touchons|recevoir|recevons|gagner|gagnons)\s+une\s+(?:petite\s+)?commission|\b(?:recibir|recibimos|ganar|ganamos|obtener|obtenemos|cobrar|cobramos)\s+una\s+(?:pequeña\s+)?comisi[oó]n|\b(?:ricevere|riceviamo|guadagnare|guadagniamo|percepire|percepiamo)\s+una\s+(?:piccola\s+)?commissione",
    )
});
/// The page speaking of itself: first person plural, or "this article".
static SELF: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:we|us|our|nous|notre|nos|wir|uns|unser\w*|nosotros|nuestr\w*|podemos|recibimos|ganamos|noi|nostr\w*|potremmo|riceviamo)\b|\bthis\s+(?:article|post|page|story|newsletter|site|website|content|guide|review)\b|\b(?:cet\s+article|cette\s+page|ce\s+contenu)\b|\bdiese[rsm]?\s+(?:artikel|beitrag|seite|text)\b|\b(?:este\s+(?:artículo|post|contenido)|esta\s+página)\b|\bquest[oa]\s+(?:articolo|pagina|post)\b",
    )
});
/// Words of a link or a purchase.
static LINK_OR_BUY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)link|\blien|\bbuy|purchas|\bclick|kauf|käuf|enlace|\bcompra|acquist|\bachat|\bachet|retail|\bshop|product|produit|produkt|\bventas?\b",
    )
});
/// A call for subscriptions, sign-ups or donations, in the first or second person.
static APPEAL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\bsubscribe\s+to\s+our\b|\b(?:subscribe|sign\s+up)\s+to\s+(?:the|my)\s+(?:[\w'’-]+\s+){0,3}newsletter\b|\babonniere\s+(?:jetzt\s+)?unseren\s+newsletter|\babonnieren\s+sie\s+(?:jetzt\s+)?(?:unseren\s+)?newsletter|(?:^|[.!?:;…*–—-]\s*|\b(?:please|then|and|to)\s+)sign\s+up\s+(?:for\s+(?:our|the|a\s+free)\s+(?:[\w'’-]+\s+){0,4}(?:newsletters?|e-?mails?|alerts?|briefings?)\b|here\b|now\b|today\b)|(?:^|[.!?:;…*–—-]\s*|\b(?:please|then|and|to)\s+)sign\s+up\s+(?:for\s+(?:[\w'’-]+\s+){0,5}(?:newsletters?|e-?course)\b|to\s+get\b|for\s+it\b)|\b(?:straight|right|directly|direct|delivered)\s+(?:to|into)\s+your\s+inbox|\bclick\s+here\s+to\s+(?:subscribe|sign\s+up|donate)\b|\b(?:listen|follow)\s+and\s+subscribe\b|\balready\s+a\s+(?:subscriber|member)\b|\bthanks?\s+(?:you\s+)?for\s+signing\s+up|\byour\s+subscription\s+(?:has|could|is)\b|\bsupport\s+our\s+(?:\w+\s+)?(?:journalism|newsroom|reporting|mission|work)\b|(?:^|[.!?]\s+)support\s+(?:independent|local|quality)\s+(?:\w+\s+)?journalism\b|\bcontribut\w*\s+as\s+little\s+as\b|(?:^|[.!?]\s+)become\s+a\s+(?:member|subscriber|supporter|patron)\b|\bplease\s+(?:subscribe|donate|support\s+us)\b|\bour\s+journalism\s+(?:needs|relies|depends)\b|\b(?:cannot|can't|can’t)\s+do\s+(?:this|it)\s+without\s+(?:you|your)\b|\babonnez-vous\b|\bsoutenez[- ](?:nous|notre|le\s+journalisme|l['’]information)\b|\bfaites\s+un\s+don\b|\binscrivez-vous\s+(?:à|a)\s+(?:notre|la|nos)\s+(?:newsletter|lettre)|\bdéjà\s+abonné|\bjetzt\s+(?:abonnieren|spenden|unterstützen)\b|\bunterstützen\s+sie\s+(?:uns|unsere?n?|den)\b.{0,60}?(?:spende|journalismus|berichterstattung|redaktion)|\bnewsletter\s+abonnieren\b|\b(?:bereits|schon)\s+abonnent|\bsuscr[ií]b(?:ete|ase)\b|\bapoya\s+(?:nuestro|el)\s+periodismo\b|\bhazte\s+(?:socio|miembro|suscriptor|mecenas)\b|\bya\s+eres\s+suscriptor|\bapóyanos\b|\biscriviti\s+alla\s+(?:nostra\s+)?newsletter\b|\babbonati\s+(?:ora|subito)\b|(?:^|[.!?]\s+)abbonati\b|\bsostieni\s+(?:il\s+nostro|l['’]informazione|il\s+giornalismo|la\s+nostra)\b|\bsei\s+già\s+abbonato",
    )
});
/// Broader words of an appeal, believed only inside a box named or shown as one.
static BOX_APPEAL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:subscribe|donate|donation|abonnez|abonner|abonnieren|spenden|suscr[ií]b\w*|donaci[oó]n|abbonati|donazione)\b|\bfaites\s+un\s+don\b",
    )
});
/// Class or id of an appeal box.
static APPEAL_NAME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)appeal|donat|spende|support-?(?:us|box|banner|cta|message)|contribution|subscribe(?:$|[^r])|abo-|abonnement|abonnez|soutien|soutenir|sostieni|suscrip|epic",
    )
});
/// Class tokens that hide or collapse an element.
static HIDDEN_CLASS: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^(?:[a-z]+-)?(?:hidden|hide|d-none|collapsed?|invisible)$"));
/// A round-up's label at the start of a paragraph.
static ROUNDUP: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:also\s+read|read\s+also|read\s+more|see\s+also|related(?:\s+(?:stories|articles|coverage|content|reading|links))?|more\s+on\s+(?:this|that)\s+(?:story|topic)|more\s+from\s+\w+|further\s+reading|recommended(?:\s+reading)?|(?:à\s+|a\s+)?lire\s+(?:aussi|également|egalement)|voir\s+aussi|sur\s+le\s+même\s+sujet|lesen\s+sie\s+(?:auch|mehr)|mehr\s+zum\s+thema|auch\s+interessant|das\s+könnte\s+sie\s+auch\s+interessieren|lee\s+también|lea\s+también|leer\s+más|te\s+puede\s+interesar|más\s+información|leggi\s+anche|potrebbe\s+interessarti|vedi\s+anche|approfondisci)\b\s*[:\-–—|»›>]*\s*",
    )
});
/// A credit or dateline label opening a short line.
static CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^[(\[]?\s*(?:(?:photo|image|picture|video|foto|bild|imagen|immagine)s?(?:\s*(?:credits?|source))?|(?:credits?|crédits?|créditos?|crediti|credito)(?:\s+(?:photos?|images?|fotos?))?|sources?|quellen?|quellenangaben|bildquellen?|titelbild|beitragsbild|aufmacherbild|bildcredits?|bildnachweise?|fotonachweise?|fuentes?|fonti|fonte|illustrations?|dates?|datum|fecha|data|dateline)\s*[:：]",
    )
});
/// A parenthesised credit under a picture: "(Photo: Agency)".
static PAREN_CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^[(\[]\s*(?:photos?|images?|pictures?|fotos?|bild|credits?|crédits?|créditos?|crediti|sources?|quelle|fuente|fonte)\b[^)\]]{0,80}[)\]]$",
    )
});
/// A picture's credit ending a short paragraph: the paragraph is the picture's caption
/// ("A view of the eruption. Credit: Agency", "… the blaze. (Photo: Name)").
static CAPTION_CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:(?:^|[.!?)]\s*\(?|\s\()(?i:photos?|images?|pictures?|fotos?|bild|illustration|credits?|crédits?|créditos?|crediti)|\s(?:Photo|Image|Picture|Foto|Bild|Illustration|Credit|Crédit)s?)(?i:\s+credits?)?\s*[:：]\s*[^.()\s][^.()]{0,80}\)?\.?$",
    )
});
/// Lines of a live blog's header: its badge, refresh controls, sort order, key events.
static LIVE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:live(?:\s+(?:updates?|blog|coverage|news|ticker|reporting|now))?|(?:latest|key)\s+(?:updates|events|moments)|show\s+(?:key\s+events|latest|all\s+updates|newest|oldest)(?:\s+\w+){0,2}|(?:auto[- ]?)?(?:refresh|update)(?:\s+(?:now|feed|page|automatically|on|off))?|auto[- ]?(?:refresh|update)s?(?:\s+(?:on|off))?|(?:newest|oldest|latest)\s+first|pinned(?:\s+post)?|updated?\s+\d+\s+\w+\s+ago|\d+\s+new\s+(?:updates?|posts?)|(?:please\s+)?(?:turn\s+on|enable)\s+javascript.{0,60}|en\s+direct|(?:suivez\s+)?(?:le|notre)\s+direct|direct|live-?ticker|liveblog|aktualisieren|(?:neueste|älteste)\s+(?:zuerst|beiträge)|en\s+vivo|en\s+directo|directo|actualizar|(?:más\s+recientes|más\s+antiguos)(?:\s+primero)?|in\s+diretta|diretta|aggiorna|(?:più\s+recenti|meno\s+recenti)|actualiser|les\s+plus\s+(?:récents|anciens)|(?:mise\s+à\s+jour|actualisation)\s+automatique|automatisch\s+aktualisieren)$",
    )
});

/// Words (ASCII, any case) of which every match of [`AFFILIATE`] holds one: a paragraph
/// without any is not scanned by it.
static AFFILIATE_WORDS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    words(&[
        "affil",
        "afiliad",
        "amazon",
        "partner",
        "provision",
        "share",
        "commission",
        "fee",
        "compensation",
        "comisi",
    ])
});
/// Words (ASCII, any case) of which every match of [`APPEAL`] holds one.
static APPEAL_WORDS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    words(&[
        "subscri",
        "sign",
        "abonn",
        "inbox",
        "click",
        "member",
        "patron",
        "support",
        "contribut",
        "journalism",
        "without",
        "souten",
        "faites",
        "please",
        "inscrivez",
        "spenden",
        "unterst",
        "newsletter",
        "suscr",
        "apoya",
        "hazte",
        "yanos",
        "iscriviti",
        "abbonat",
        "sostieni",
    ])
});

/// A matcher of `list`, ASCII case-insensitive: a cheap first look before a regex whose
/// every match holds one of the words. (The regexes fold case by Unicode's rules, which
/// also match `ſ` for `s` and the Kelvin sign for `k`: words spelled so are not seen.)
fn words(list: &[&str]) -> AhoCorasick {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(list)
        .expect("constant word list")
}

/// Longest affiliate disclaimer paragraph.
const MAX_NOTICE_CHARS: usize = 400;
/// Longest appeal paragraph (a longer one is text that ends with a call).
const MAX_APPEAL_CHARS: usize = 250;
/// Longest caption left in the text.
const MAX_CAPTION_CHARS: usize = 300;
/// Characters of a caption's credit after its colon and spaces, at most: a name of up to
/// 81 characters, a closing parenthesis and a full stop (see [`CAPTION_CREDIT`]).
const MAX_CREDIT_TAIL_CHARS: usize = 83;
/// Longest credit or dateline line.
const MAX_CREDIT_CHARS: usize = 100;
/// Words of a credit line after its label, at most (a name or two, an agency).
const MAX_CREDIT_WORDS: usize = 10;
/// Longest line of a round-up (a label and a headline).
const MAX_ROUNDUP_CHARS: usize = 250;
/// Paragraphs at either edge of the text searched for furniture.
const EDGE: usize = 6;
/// Text of an appeal box, at most (a longer box holds more than an appeal).
const MAX_BOX_CHARS: u32 = 2000;

/// An affiliate or sponsored-link disclaimer: the page says it earns on the links.
pub(super) fn affiliate_notice(p: &str) -> bool {
    p.chars().count() <= MAX_NOTICE_CHARS
        && AFFILIATE_WORDS.is_match(p)
        && AFFILIATE.is_match(p)
        && SELF.is_match(p)
        && LINK_OR_BUY.is_match(p)
}

/// A call to subscribe, sign up or donate.
pub(super) fn appeal(p: &str) -> bool {
    p.chars().count() <= MAX_APPEAL_CHARS && APPEAL_WORDS.is_match(p) && APPEAL.is_match(p)
}

/// A credit or dateline line: a label ("Source:", "Quelle:", "Crédit photo :", "Date:")
/// and a few words, no sentence.
pub(super) fn credit_line(p: &str) -> bool {
    if p.chars().count() > MAX_CREDIT_CHARS {
        return false;
    }
    if PAREN_CREDIT.is_match(p) {
        return true;
    }
    let Some(m) = CREDIT.find(p) else {
        return false;
    };
    let rest = &p[m.end()..];
    rest.split_whitespace().count() <= MAX_CREDIT_WORDS && !rest.trim_end().contains(". ")
}

/// A picture's caption left in the text: a short paragraph ending with the picture's
/// credit (a label and a few words).
pub(super) fn caption(p: &str) -> bool {
    // The credit's colon is near the end: when the text after the last colon is longer
    // than a credit, no colon can start one. This spares most paragraphs the pattern, which
    // is searched backwards from the end with a large automaton.
    let Some(colon) = p.rfind([':', '：']) else {
        return false;
    };
    let after = p[colon..].chars().skip(1).skip_while(|c| c.is_whitespace());
    if after.count() > MAX_CREDIT_TAIL_CHARS {
        return false;
    }
    p.chars().count() <= MAX_CAPTION_CHARS
        && CAPTION_CREDIT.find(p).is_some_and(|m| {
            let tail = &p[m.start()..];
            tail.split_whitespace().count() <= MAX_CREDIT_WORDS
        })
}

/// A line of a live blog's opening scaffolding.
pub(super) fn live_furniture(p: &str) -> bool {
    p.chars().count() <= 80 && LIVE.is_match(p.trim_matches(|c: char| !c.is_alphanumeric()))
}

/// Label and headline of a round-up line ("Lire aussi : <headline>"): the label's end.
fn roundup_label(p: &str) -> Option<usize> {
    ROUNDUP.find(p).map(|m| m.end())
}

/// At least `1/share` of the paragraph's text after `from` is in links.
fn linked(p: &Para, from: usize, share: u32) -> bool {
    let rest = p.text[from..].chars().count() as u32;
    rest > 0 && p.link * share >= rest
}

/// Drops the noise paragraphs of the generic path's text; returns the texts.
pub(super) fn tidy(paras: Vec<Para>) -> Vec<String> {
    let n = paras.len();
    let mut keep = vec![true; n];
    let mut i = 0;
    while i < n {
        let p = &paras[i];
        let t = p.text.as_str();
        if p.is_mark() {
            // The short linked lines after a dropped block of links are more of it.
            keep[i] = false;
            let run = (i + 1..n).take_while(|&k| paras[k].linked_line()).count();
            keep[i + 1..=i + run].iter_mut().for_each(|k| *k = false);
            i += run + 1;
            continue;
        }
        if affiliate_notice(t) || appeal(t) || PAREN_CREDIT.is_match(t) || caption(t) {
            keep[i] = false;
        } else if let Some(end) =
            roundup_label(t).filter(|_| t.chars().count() <= MAX_ROUNDUP_CHARS)
        {
            if end >= t.len() {
                // A label alone: it goes with the linked headlines (or the dropped block
                // of links) under it.
                let run = (i + 1..n)
                    .take_while(|&k| paras[k].is_mark() || paras[k].linked_line())
                    .count();
                if run > 0 {
                    keep[i..=i + run].iter_mut().for_each(|k| *k = false);
                    i += run + 1;
                    continue;
                }
            } else if linked(p, end, 3) {
                // A label, a linked headline and maybe a few words.
                keep[i] = false;
            }
        }
        i += 1;
    }
    let mut out: Vec<(String, bool)> = paras
        .into_iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(p, _)| (p.text, p.head))
        .collect();
    // The opening lines: live-blog scaffolding, credit and dateline lines.
    let lead = out
        .iter()
        .take(EDGE)
        .take_while(|(t, _)| live_furniture(t) || credit_line(t))
        .count();
    if lead < out.len() {
        out.drain(..lead);
    }
    // The closing lines: credits, datelines, and short lines without punctuation
    // ("Kontakt:", "Mehr zum Thema", "Photo: X").
    let mut dropped = 0;
    while dropped < EDGE
        && out.len() > 1
        && out.last().is_some_and(|(p, _)| {
            credit_line(p)
                || (dropped < 5
                    && p.chars().count() < 40
                    && (!ends_sentence(p) || p.ends_with(':')))
        })
    {
        out.pop();
        dropped += 1;
    }
    out.into_iter().map(|(t, _)| t).collect()
}

/// An appeal box: a collapsed (`<details>`), hidden (`class="hidden"`) or appeal-named
/// element (`donate`, `support-us`, `contribution`, `subscribe-box`, `abonnement`; not
/// `paywall` nor `subscriber-only`, which hold the article's own text) whose words call
/// for a subscription or a donation.
/// `text_len`: the length of the element's text.
pub(super) fn appeal_box(dom: &Dom<'_>, j: usize, text_len: u32) -> bool {
    let node = &dom.nodes[j];
    // A paragraph is judged by its words alone (`appeal`), whatever its class.
    if node.tag == "p" || text_len == 0 || text_len > MAX_BOX_CHARS {
        return false;
    }
    let named = APPEAL_NAME.is_match(node.class) || APPEAL_NAME.is_match(node.id);
    let candidate = named
        || node.tag == "details"
        || node
            .class
            .split_ascii_whitespace()
            .any(|c| HIDDEN_CLASS.is_match(c));
    if !candidate {
        return false;
    }
    let text = dom.text(j);
    // Collapsed or hidden text (a FAQ on blood donation) needs a call, not a word.
    APPEAL.is_match(&text) || (named && BOX_APPEAL.is_match(&text))
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::{PageInput, analyze};
    use super::*;

    /// The generic path's text of a page.
    pub(in crate::extract) fn text(page: &str) -> String {
        let url = url::Url::parse("https://news.test/2024/03/story").expect("valid URL");
        let input = PageInput {
            url: &url,
            body: page.as_bytes(),
            content_type: Some("text/html; charset=utf-8"),
            fetched_at: PageInput::UNKNOWN_FETCH_TIME,
        };
        analyze(&input, None, true)
            .article
            .and_then(|a| a.body)
            .unwrap_or_default()
    }

    /// An ordinary paragraph of an article.
    pub(in crate::extract) const P: &str = "The council voted on Tuesday to rebuild the old bridge over the river, after a year of talks, surveys and public meetings.";

    fn page(body: &str) -> String {
        format!(
            r#"<html><body><nav><a href="/">Home</a></nav><article><h1>A title</h1><div class="article-body">{body}</div></article></body></html>"#
        )
    }

    #[test]
    fn affiliate_disclaimers_go_sentences_about_commissions_stay() {
        for notice in [
            "We may earn a commission when you buy through links on our site.",
            "All products are independently selected by our editors. If you buy something through our retail links, we may earn an affiliate commission.",
            "Cet article contient des liens affiliés.",
            "Als Amazon-Partner verdienen wir an qualifizierten Verkäufen.",
            "Este artículo contiene enlaces de afiliados: podemos recibir una comisión por las compras.",
            "Questo articolo contiene link di affiliazione: potremmo ricevere una commissione sugli acquisti.",
        ] {
            assert!(affiliate_notice(notice), "{notice}");
            let t = text(&page(&format!(
                "<p><em>{notice}</em></p><p>{P}</p><p>{P}</p>"
            )));
            assert_eq!(t, format!("{P}\n\n{P}"), "{notice}");
        }
        for sentence in [
            "The European Commission said sellers who earn a commission on each sale must disclose their links.",
            "We asked the commission about the product recall, and it declined to comment on Monday.",
            "Our source at the ministry confirmed the figures, which were published on its website.",
            "Affiliate marketers earn a share of each sale, the study of 400 shops found.",
        ] {
            assert!(!affiliate_notice(sentence), "{sentence}");
            let t = text(&page(&format!("<p>{P}</p><p>{sentence}</p><p>{P}</p>")));
            assert!(t.contains(sentence), "{t}");
        }
    }

    #[test]
    fn appeals_and_appeal_boxes_go_sentences_about_subscribers_stay() {
        let body = format!(
            r#"<p>{P}</p><details class="box"><summary>Why we need you</summary><p>Independent reporting costs money, and your gift keeps this site open to everyone who reads it. Please donate to the newsroom today.</p></details>
<p>{P}</p><div class="hidden"><h3>Unterstützen Sie uns</h3><p>Guter Journalismus kostet Geld, und wir finanzieren uns zum großen Teil über die Beiträge unserer Leserinnen und Leser, jeden Monat aufs Neue. Jetzt spenden und unabhängigen Journalismus möglich machen, für alle Menschen im ganzen Land.</p></div>
<div class="contributions-epic"><p>Chaque mois, des milliers de lecteurs nous aident à garder ce site ouvert et gratuit pour tous, sans publicité ni actionnaire. Faites un don.</p></div>
<p>Want to keep up with the news? Subscribe to our email newsletter.</p><p>Suscríbete a nuestro boletín.</p>
<p>Readers who subscribe to newspapers are older, the survey found, and many donate to local charities every year.</p><p>{P}</p>"#
        );
        let t = text(&page(&body));
        assert_eq!(t.matches("The council voted").count(), 3, "{t}");
        assert!(t.contains("Readers who subscribe to newspapers"), "{t}");
        for gone in [
            "Why we need you",
            "Independent reporting",
            "Unterstützen",
            "Guter Journalismus",
            "Chaque mois",
            "Subscribe to our",
            "Suscríbete",
        ] {
            assert!(!t.contains(gone), "{gone}: {t}");
        }
        // A collapsed element that is not an appeal stays, even with the word "donate".
        let t = text(&page(&format!(
            "<p>{P}</p><details><summary>Methodology</summary><p>The survey asked 1,200 adults by telephone in March whether they donate blood, and the margin of error is three points.</p></details><p>{P}</p>"
        )));
        assert!(t.contains("The survey asked 1,200 adults"), "{t}");
        for sentence in [
            "More than 2,000 readers sign up for the newsletter each month, the editor said.",
            "The fund will support local news reporting in three counties, its director said.",
            "He urged residents to become a member of the cooperative before the vote.",
            "Gli abbonati a Netflix in Italia sono cresciuti del dieci per cento.",
        ] {
            assert!(!appeal(sentence), "{sentence}");
        }
        // Article text in a paywalled or subscribers' container, and text that ends with
        // a call, stay.
        let kept = [
            "Free services give you a taste in the hope that you will then sign up for the paid version, the company said.",
            "Whatever belief you subscribe to, the practice of asking questions helps, she says.",
        ];
        let t = text(&page(&format!(
            r#"<p>{P}</p><div class="subscriber-only paywall"><p>{}</p><p>{}</p></div><p>{P}</p>"#,
            kept[0], kept[1]
        )));
        for k in kept {
            assert!(t.contains(k), "{t}");
        }
    }

    #[test]
    fn labelled_round_ups_go_with_their_label_linked_sentences_stay() {
        let item = |i: usize, blurb: &str| {
            format!(
                r#"<p><a href="/story-{i}">Another story of the site, number {i}</a> {blurb}</p>"#
            )
        };
        let items: String = (0..3)
            .map(|i| item(i, "– two weeks ago, by the desk"))
            .collect();
        for label in [
            "More on this story",
            "Lire aussi",
            "Mehr zum Thema",
            "Leggi anche",
            "Lee también:",
        ] {
            let t = text(&page(&format!(
                "<p>{P}</p><h3>{label}</h3>{items}<p>{P}</p>"
            )));
            assert_eq!(t, format!("{P}\n\n{P}"), "{label}");
        }
        // A sentence with its words linked to sources, after a dropped block of links.
        let linked_sentence = r#"<p>However, her <a href="/a">pregnancy took a scary turn</a>, when she was rushed to <a href="/b">the hospital for surgery</a>.</p>"#;
        let t = text(&page(&format!(
            r#"<p>{P}</p><ul><li><a href="/t1">Trending one</a></li><li><a href="/t2">Trending two</a></li></ul>{linked_sentence}<p>{P}</p>"#
        )));
        assert!(t.contains("However, her pregnancy"), "{t}");
        // One line, a label then a headline.
        let t = text(&page(&format!(
            r#"<p>{P}</p><p><strong>Read more:</strong> <a href="/x">The bridge of discord</a>, our inquiry of last year</p><p>{P}</p>"#
        )));
        assert_eq!(t, format!("{P}\n\n{P}"));
        // A sentence that starts with the same words and links a source is text.
        let sentence = r#"Read more about the plan in the report, which <a href="/r">the ministry published</a> on Monday."#;
        let t = text(&page(&format!("<p>{P}</p><p>{sentence}</p><p>{P}</p>")));
        assert!(t.contains("Read more about the plan"), "{t}");
    }

    #[test]
    fn credit_and_dateline_lines_at_the_edges_go_sentences_stay() {
        let body = format!(
            "<p>Date: 12 March 2024</p><p>Source: Agence Presse</p><p>{P}</p><p>(Foto: Archiv)</p><p>{P}</p><p>Quelle: dpa</p><p>Crédit photo : Jean Dupont / Agence</p>"
        );
        let t = text(&page(&body));
        assert_eq!(t, format!("{P}\n\n{P}"));
        for line in [
            "Source: Feat Pictures' account via a fan",
            "Fuente: Reuters",
            "Fonte: Ansa",
            "(Photo: Acorn TV)",
        ] {
            assert!(credit_line(line), "{line}");
        }
        // A caption left in the text ends with the picture's credit.
        for cap in [
            "A view of the eruption seen from a webcam. Credit: Live from Iceland webcam capture.",
            "Unburnt lichens like these hinted that some moths survived the blaze. (Photo: Eric Edwards)",
            "Here are all the new features of the phone Credit: Agency/Canva",
        ] {
            assert!(caption(cap), "{cap}");
        }
        for sentence in [
            "The agency gave him credit: without his maps, the rescue would have failed.",
            "The museum lent the photo: a portrait of the mayor in 1920, now restored.",
            P,
        ] {
            assert!(!caption(sentence), "{sentence}");
        }
        let kept = "Source: the ministry said on Monday that forty people had died in the floods, and that the toll could still rise.";
        assert!(!credit_line(kept));
        assert!(!credit_line("The source of the river is in the hills."));
        let t = text(&page(&format!("<p>{kept}</p><p>{P}</p>")));
        assert!(t.starts_with("Source: the ministry"), "{t}");
        // In the middle of the text, a labelled line is the text's (a list of facts).
        let t = text(&page(&format!("<p>{P}</p><p>Date: 12 March</p><p>{P}</p>")));
        assert!(t.contains("Date: 12 March"), "{t}");
    }

    #[test]
    fn the_opening_scaffolding_of_a_live_blog_goes() {
        let body = format!(
            r#"<div class="live-header"><p>Live updates</p><button>Refresh</button><p>Show key events only</p><p>Newest first</p></div><div class="live-entry"><p>{P}</p></div><div class="live-entry"><p>{P}</p></div>"#
        );
        let t = text(&page(&body));
        assert_eq!(t, format!("{P}\n\n{P}"));
        for line in [
            "En direct",
            "Liveticker",
            "Aktualisieren",
            "En vivo",
            "In diretta",
            "LIVE",
        ] {
            assert!(live_furniture(line), "{line}");
        }
        assert!(!live_furniture("Live music returns to the old bridge"));
        assert!(!live_furniture("Direct flights resume"));
    }
}
