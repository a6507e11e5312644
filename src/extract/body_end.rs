//! Closing furniture of an article's text, found by the generic path (and in JSON-LD
//! `articleBody`): the author's bio ("Jane Doe is a reporter at The Gazette covering …",
//! "Marie Dupont est journaliste à …"), contribution lines ("John Roe contributed
//! reporting.", "Additional reporting by …", "Reporting by …; Editing by …", "(avec
//! AFP)"), the print note ("A version of this article appears in print on …") and the
//! copyright line ("© 2024 Publisher. All rights reserved", "Tous droits réservés", "Alle
//! Rechte vorbehalten", "Todos los derechos reservados", "Riproduzione riservata").
//!
//! Each rule needs the words *and* the shape: a short paragraph at the very end of the text
//! (only the last few paragraphs are ever read, from the end, and reading stops at the first
//! one that is not furniture), so that a sentence of the article with the same words stays.
//! A bio also needs its name: one of the authors the extractor found, or a name the text
//! above never mentions (a paragraph on the article's own subject names someone the text
//! spoke of).

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use super::body_noise::re;

/// The copyright line: a mark and a year, or the reserved-rights phrase as a sentence.
static COPYRIGHT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:©|\(c\)\s*\d{4}|copyright\s*(?:©|\(c\)|\d{4}|by\b))|(?:^|[.|©·•–—,-]\s*|\d{4}\s+)(?:all\s+rights\s+reserved|tous\s+droits\s+réservés|alle\s+rechte\s+vorbehalten|todos\s+los\s+derechos\s+reservados|(?:riproduzione|tutti\s+i\s+diritti)\s+riservat[ai])\s*\.?(?:$|\s+(?-i:\p{Lu}))",
    )
});
/// The print note of a paper's web page.
static IN_PRINT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:a\s+version\s+of\s+this\s+(?:article|story|report|review|column|essay|obituary|interview)\s+appear(?:s|ed)\s+in\s+print\b|this\s+(?:article|story)\s+appear(?:s|ed)\s+in\s+(?:print\b|the\s+.{0,80}?print\s+edition\b)|cet\s+article\s+(?:est\s+paru|a\s+été\s+publié)\s+dans\s+(?:l['’]édition|le\s+numéro|la\s+version\s+imprimée|le\s+journal\s+du)\b|dieser\s+(?:artikel|beitrag|text)\s+(?:erschien|ist\s+(?:zuerst\s+)?erschienen)\s+(?:zuerst\s+)?in\s+der\s+(?:print|gedruckten)\w*)",
    )
});
/// The note of a republished article ("This article is republished from The Conversation
/// under a Creative Commons license", "Cet article a été initialement publié sur …").
static REPUBLISHED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:this\s+(?:article|story|piece|post|essay|column)\s+(?:is|was)\s+(?:originally\s+|first\s+)?(?:republished|published|posted|appeared)\s+(?:originally\s+|first\s+)?(?:on|in|by|from|at|with)\s|cet\s+article\s+a\s+(?:été\s+)?(?:initialement|d['’]abord|originellement)\s+(?:été\s+)?publié|dieser\s+(?:artikel|beitrag|text)\s+(?:erschien|ist)\s+(?:zuerst|ursprünglich)\s|este\s+(?:artículo|texto)\s+(?:fue|se)\s+(?:publicado|publicó)\s+originalmente\s|questo\s+articolo\s+è\s+(?:stato\s+)?(?:pubblicato|apparso)\s+(?:originariamente|originalmente|per\s+la\s+prima\s+volta)\s)",
    )
});
/// A line of how to reach the author: a call and an address or a handle ("Contact Jane
/// Doe at jdoe@paper.test", "Follow her on X @janedoe").
static CONTACT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:contact|reach|e-?mail|follow|write\s+to|kontakt|contacter|contactez|suivez|écrivez|escr[ií]b[ea]|s[ií]gue(?:l[oa]|nos)|contatta|segui)(?:\s*:|[\s-]+(?:(?:her|him|them|us|me|nous|moi|uns|ihn|sie|la|le|lo|ci|ihr|ihm)\b|the\s+(?:author|writer|reporter|newsroom)\b|(?-i:\p{Lu})))[^!?]{0,150}?@\w",
    )
});
/// A line of who else reported.
static CONTRIBUTED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:additional\s+reporting\s+(?:by|from)\b|reporting\s+was\s+contributed\s+by\b|reporting\s+by\b[^.]{0,200}?\b(?:editing|writing)\s+by\b)|^[^.!?]{2,200}?\bcontributed\s+(?:additional\s+)?(?:reporting|research|to\s+this\s+(?:report|article|story))(?:\s+(?:from|in)\s+[^.!?]{1,60})?\s*\.?$",
    )
});
/// A wire credit closing a French, German or Spanish article.
static WIRE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\(?(?:avec\s+(?:l['’])?(?:afp|reuters|ap|agences?|belga|ats|ansa)|mit\s+material\s+(?:von|der)\s+[\w/ ]{2,30}|con\s+información\s+de\s+[\w/ ]{2,40})\)?\.?$",
    )
});
/// A bio's job, after its name: "is a … reporter", "est journaliste", "ist Redakteur",
/// "es periodista", "è giornalista", or "covers", "writes about", "reports on".
static BIO_JOB: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:(?:is|was|est|ist|es|è)\s+(?:(?:a|an|the|un|une|ein|eine|una|uno|el|la|le|il|lo|l['’])\s+)?(?:[\w'’-]+,?\s+){0,6}?(?:reporter|correspondent|editor|writer|journalist|columnist|contributor|producer|critic|journaliste|rédact(?:eur|rice)|correspondant|correspondante|chroniqueur|chroniqueuse|éditorialiste|pigiste|redakteur|redakteurin|korrespondent|korrespondentin|journalistin|reporterin|kolumnistin|kolumnist|periodista|redactor|redactora|corresponsal|reportero|reportera|columnista|editora|giornalista|redattore|redattrice|corrispondente|inviato|inviata|cronista|editorialista)s?\b|covers\s|writes\s+about\s|reports\s+on\s)",
    )
});
/// Words of a copyright line's reserved rights (ASCII case ignored).
static RESERVED: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build([
            "reserved",
            "réservés",
            "RÉSERVÉS",
            "vorbehalten",
            "reservados",
            "riservat",
        ])
        .expect("constant patterns")
});
/// The label over a bio.
static BIO_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:about\s+the\s+authors?|the\s+authors?|à\s+propos\s+de\s+l['’]aut(?:eur|rice)e?|l['’]aut(?:eur|rice)e?|über\s+(?:den\s+autor|die\s+autorin)|sobre\s+(?:el\s+autor|la\s+autora)|(?:l['’])?autore|l['’]autrice)\s*:?$",
    )
});

/// Words between a name's parts ("Ana de la Cruz", "Hans von Berg").
const PARTICLES: &[&str] = &[
    "de", "da", "del", "della", "di", "van", "von", "der", "le", "la", "du", "y",
];
/// Verbs that follow the name opening a bio.
const BIO_VERBS: &[&str] = &[
    "is", "was", "est", "ist", "es", "è", "covers", "writes", "reports",
];
/// Capitalised words that open a sentence but no name ("The Mayor is a former editor").
const NOT_NAMES: &[&str] = &[
    "The", "A", "An", "This", "That", "These", "Those", "Our", "My", "His", "Her", "Their", "Its",
    "Le", "La", "Les", "Un", "Une", "Ce", "Cette", "Ces", "Son", "Sa", "Der", "Die", "Das", "Ein",
    "Eine", "Dieser", "Diese", "El", "Los", "Las", "Este", "Esta", "Il", "Lo", "Gli", "Uno", "Una",
    "Questo", "Questa",
];
/// Paragraphs at the end of the text read, at most.
const EDGE: usize = 4;
/// Longest copyright line.
const MAX_COPYRIGHT_CHARS: usize = 250;
/// Longest print note or contribution line.
const MAX_NOTE_CHARS: usize = 300;
/// Longest wire credit.
const MAX_WIRE_CHARS: usize = 60;
/// Longest bio.
const MAX_BIO_CHARS: usize = 400;
/// Sentences of a bio, at most.
const MAX_BIO_SENTENCES: usize = 3;

/// `p` starts with `prefix` (ASCII), ASCII case ignored.
fn starts_ci(p: &str, prefix: &str) -> bool {
    p.as_bytes()
        .get(..prefix.len())
        .is_some_and(|b| b.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// A copyright line.
fn copyright(p: &str) -> bool {
    p.len() <= 4 * MAX_COPYRIGHT_CHARS
        && (p.contains('©')
            || starts_ci(p, "copyright")
            || starts_ci(p, "(c)")
            || RESERVED.is_match(p))
        && p.chars().count() <= MAX_COPYRIGHT_CHARS
        && COPYRIGHT.is_match(p)
}

/// A print note or a line of who else reported.
fn note(p: &str) -> bool {
    if p.len() > 4 * MAX_NOTE_CHARS || p.chars().count() > MAX_NOTE_CHARS {
        return false;
    }
    let wire = p.len() <= 4 * MAX_WIRE_CHARS
        && ["(", "avec ", "mit ", "con "]
            .iter()
            .any(|s| starts_ci(p, s));
    let print = [
        "a version ",
        "this ",
        "cet article ",
        "dieser ",
        "este ",
        "questo ",
    ]
    .iter()
    .any(|s| starts_ci(p, s));
    let contributed =
        starts_ci(p, "additional ") || starts_ci(p, "reporting ") || p.contains("contributed");
    (wire && WIRE.is_match(p))
        || (print && (IN_PRINT.is_match(p) || REPUBLISHED.is_match(p)))
        || (p.contains('@') && CONTACT.is_match(p))
        || (contributed && CONTRIBUTED.is_match(p))
}

/// The name opening a bio, and where its verb starts: two to five capitalised words
/// (particles between them) then a bio's verb.
fn bio_name(p: &str) -> Option<(&str, usize)> {
    let mut end = 0;
    for (k, w) in p.split(' ').take(6).enumerate() {
        if k >= 2 && BIO_VERBS.contains(&w) {
            return Some((&p[..end - 1], end));
        }
        let capital = w.chars().next().is_some_and(char::is_uppercase);
        if !(capital || (k > 0 && PARTICLES.contains(&w))) || (k == 0 && NOT_NAMES.contains(&w)) {
            return None;
        }
        end += w.len() + 1;
    }
    None
}

/// An author's bio: a name, a journalist's job; the name is an author's or the text
/// `above` never names its bearer.
fn bio(p: &str, authors: &[String], above: &str) -> bool {
    if p.len() > 4 * MAX_BIO_CHARS {
        return false;
    }
    // A bio set apart by a rule or an asterisk: "—Jane Doe is …", "*Jane Doe is …".
    let p = p.trim_start_matches(['*', '—', '–', '-', '_', ' ']);
    let Some((name, verb)) = bio_name(p) else {
        return false;
    };
    if p.chars().count() > MAX_BIO_CHARS
        || p.matches(". ").count() >= MAX_BIO_SENTENCES
        || !BIO_JOB.is_match(&p[verb..])
    {
        return false;
    }
    let surname = name.rsplit(' ').next().unwrap_or(name);
    let author = authors.iter().any(|a| {
        a.eq_ignore_ascii_case(name) || a.split_whitespace().any(|w| w.len() > 2 && w == surname)
    });
    author || (surname.chars().count() > 2 && !above.contains(surname))
}

/// Drops the closing furniture from the end of `text` (paragraphs separated by blank
/// lines); `authors`: the article's authors. The first paragraph always stays.
pub(super) fn trim_closing(text: &mut String, authors: &[String]) {
    let mut dropped = 0;
    while dropped < EDGE {
        let Some(cut) = text.rfind("\n\n") else {
            return;
        };
        let (above, last) = (&text[..cut], &text[cut + 2..]);
        let furniture = copyright(last)
            || note(last)
            || bio(last, authors, above)
            || (dropped > 0 && last.len() <= 64 && BIO_LABEL.is_match(last));
        if !furniture {
            return;
        }
        text.truncate(cut);
        dropped += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::super::body_noise::tests::{P, text};
    use super::*;

    /// `paras` joined and trimmed with `authors`.
    fn trimmed(paras: &[&str], authors: &[&str]) -> String {
        let mut t = paras.join("\n\n");
        let authors: Vec<String> = authors.iter().map(|a| a.to_string()).collect();
        trim_closing(&mut t, &authors);
        t
    }

    #[test]
    fn copyright_lines_at_the_end_go_sentences_on_rights_stay() {
        for line in [
            "© 2024 The Associated Press. All rights reserved. This material may not be published, broadcast, rewritten or redistributed.",
            "Copyright 2024 Gazette Media. All rights reserved.",
            "Copyright © 2023 Le Journal - Tous droits réservés",
            "Alle Rechte vorbehalten.",
            "© Zeitung GmbH 2024 - Alle Rechte vorbehalten",
            "Todos los derechos reservados.",
            "© RIPRODUZIONE RISERVATA",
            "Riproduzione riservata",
        ] {
            assert_eq!(trimmed(&[P, P, line], &[]), format!("{P}\n\n{P}"), "{line}");
        }
        for sentence in [
            "The label kept all rights reserved for the estate until 2030, its lawyer said.",
            "Copyright holders will be paid twice a year under the new law, the minister said.",
            "Les héritiers ont gardé tous droits réservés sur les lettres du poète.",
            "Der Verlag hat sich alle Rechte vorbehalten, sagte ein Sprecher.",
        ] {
            let t = trimmed(&[P, sentence], &[]);
            assert!(t.ends_with(sentence), "{t}");
        }
        // In the middle of the text, a notice is the text's.
        let line = "Alle Rechte vorbehalten.";
        assert!(trimmed(&[P, line, P], &[]).contains(line));
    }

    #[test]
    fn print_notes_and_contribution_lines_at_the_end_go() {
        let print = "A version of this article appears in print on March 3, 2024, Section A, Page 12 of the New York edition with the headline: Bridge Vote.";
        let contrib = "Jane Roe contributed reporting from Paris.";
        assert_eq!(trimmed(&[P, P, contrib, print], &[]), format!("{P}\n\n{P}"));
        for line in [
            "Additional reporting by Ana Martin",
            "Reporting by Tom Lee in London; Editing by Sam Poe",
            "Reporting was contributed by Ann Bee and Carl Dee.",
            "John Smith and Mary Jones contributed to this report.",
            "(avec AFP)",
            "Avec Reuters",
            "Mit Material von dpa",
            "Con información de EFE",
            "This article appeared in the Europe section of the print edition under the headline \"Bridge\"",
            "Cet article est paru dans l'édition du 4 mars.",
            "This article is republished from The Conversation under a Creative Commons license. Read the original article.",
            "This story was originally published by ProPublica.",
            "Cet article a été initialement publié sur le site de nos confrères.",
            "Dieser Artikel erschien zuerst auf dem Blog der Autorin.",
            "Contact Jane Doe at jdoe@paper.test or on 555-0100.",
            "Follow her on X @janedoe.",
            "Email: jdoe@paper.test",
            "Suivez-nous sur Instagram : @journal.",
        ] {
            assert_eq!(trimmed(&[P, line], &[]), P, "{line}");
        }
        for sentence in [
            "Reporting by the Gazette found that the council had ignored three surveys of the bridge.",
            "The engineers said their study contributed to this report on the bridge, which the council will publish in May, and to two others.",
            "A version of the plan will be put to a vote in May, the mayor said.",
            "Avec l'AFP, le ministère a publié les chiffres de la crue lundi soir.",
            "This story was told to me by my grandfather, who built the first bridge in 1931.",
            "This article of the constitution was published in 1958 and never amended.",
            "Follow the money, the prosecutor told the jury, and you will find who paid for the bridge.",
            "Contact with the river authority was lost on Monday, and the council wrote to info@river.test twice.",
        ] {
            let t = trimmed(&[P, sentence], &[]);
            assert!(t.ends_with(sentence), "{t}");
        }
        // A contribution line in the middle stays.
        assert!(trimmed(&[P, contrib, P], &[]).contains(contrib));
    }

    #[test]
    fn bios_at_the_end_go_paragraphs_on_the_subject_stay() {
        for (bio, authors) in [
            (
                "Jane Doe is a reporter at The Gazette covering city hall and transport.",
                &[][..],
            ),
            ("Maria García is the paper's Europe correspondent.", &[]),
            (
                "Marie Dupont est journaliste à La Dépêche, où elle suit la politique locale.",
                &[],
            ),
            ("Hans Müller ist Redakteur im Ressort Politik.", &[]),
            ("Lucía Pérez es periodista y corresponsal en Bruselas.", &[]),
            (
                "Giulia Rossi è giornalista e scrive di ambiente per il quotidiano.",
                &[],
            ),
            (
                "Tom Lee covers energy and climate for the site. He lives in Denver.",
                &["Tom Lee"],
            ),
        ] {
            assert_eq!(
                trimmed(&[P, P, bio], authors),
                format!("{P}\n\n{P}"),
                "{bio}"
            );
        }
        // Set apart by a dash.
        let bio = "—Jane Doe is a reporter at The Gazette.";
        assert_eq!(trimmed(&[P, bio], &[]), P);
        // With its label.
        let bio = "Sam Poe is a staff writer covering science.";
        assert_eq!(trimmed(&[P, "About the author", bio], &[]), P);
        // The article's subject: named in the text above.
        let above = "The award went to Jane Doe, who has worked at the paper since 1990.";
        let subject = "Jane Doe is a reporter at The Gazette and lives in the old town.";
        let t = trimmed(&[P, above, subject], &[]);
        assert!(t.ends_with(subject), "{t}");
        // A bio-like paragraph in the middle stays; a sentence that is no bio stays.
        let bio = "Jane Doe is a reporter at The Gazette covering city hall.";
        assert!(trimmed(&[P, bio, P], &[]).contains(bio));
        for sentence in [
            "The Mayor is a former editor of the local weekly, and many voters remember it.",
            "Reporters are not allowed in the chamber during the vote, the clerk said.",
            "It is a writer's town, she said.",
        ] {
            let t = trimmed(&[P, sentence], &[]);
            assert!(t.ends_with(sentence), "{t}");
        }
        // The first paragraph always stays.
        assert_eq!(
            trimmed(&["Alle Rechte vorbehalten."], &[]),
            "Alle Rechte vorbehalten."
        );
    }

    #[test]
    fn pages_lose_their_closing_furniture_and_json_ld_bodies_their_appeals() {
        // The bio names the byline's author, who the text also quotes: the author's bio.
        let page = format!(
            r#"<html><body><article><h1>Bridge vote</h1><p class="byline">By <a rel="author" href="/author/ana-roe">Ana Roe</a></p><div class="article-body"><p>{P}</p><p>"We waited long enough," Roe was told by the mayor, who spoke to the paper on Monday.</p><p>{P}</p><p><em>Ana Roe is a reporter at The Gazette covering city hall.</em></p><p>© 2024 The Gazette. All rights reserved.</p></div></article></body></html>"#
        );
        let t = text(&page);
        assert!(t.ends_with(P) && t.contains("We waited long enough"), "{t}");
        // The field's paragraphs: an appeal and a copyright line go, the text stays.
        let sentence = "Readers who subscribe to newspapers are older, the survey found, and many donate to local charities every year.";
        let ld_body = format!(
            "{P}\\n{sentence}\\n{P}\\n{P}\\nSupport our journalism: become a member today.\\n{P}\\n{P}\\nCopyright 2024 Gazette Media. All rights reserved."
        );
        let page = format!(
            r#"<html><head><script type="application/ld+json">{{"@type":"NewsArticle","headline":"Bridge vote","articleBody":"{ld_body}"}}</script></head><body><article><h1>Bridge vote</h1><p>{P}</p></article></body></html>"#
        );
        let t = text(&page);
        assert!(t.contains(sentence) && t.ends_with(P), "{t}");
        assert!(
            !t.contains("Support our") && !t.contains("Copyright"),
            "{t}"
        );
        assert_eq!(t.matches("The council voted").count(), 5, "{t}");
    }
}
