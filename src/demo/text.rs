//! Deterministic French prose for the demo site: a small seeded generator and a vocabulary
//! of tech-news sentences.

/// A small deterministic pseudo-random generator (SplitMix64): the same seed gives the
/// same site on every machine and every version of the dependencies.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
}

const SUBJECTS: &[&str] = &[
    "L'opérateur",
    "Le groupe",
    "La start-up lyonnaise",
    "L'éditeur",
    "Le fournisseur de cloud",
    "L'hébergeur",
    "La Commission européenne",
    "Le régulateur",
    "L'intégrateur",
    "Le constructeur",
    "La DSI de la région",
    "Le ministère",
];
const VERBS: &[&str] = &[
    "annonce",
    "déploie",
    "lance",
    "renforce",
    "prépare",
    "accélère",
    "dévoile",
    "étend",
    "teste",
    "confirme",
    "repousse",
    "simplifie",
];
const OBJECTS: &[&str] = &[
    "une nouvelle offre de cloud souverain",
    "son infrastructure réseau",
    "la mise en conformité au RGPD",
    "une plateforme d'intelligence artificielle",
    "ses centres de données en Europe",
    "la facturation électronique",
    "le déploiement de la fibre optique",
    "l'authentification multifacteur",
    "le chiffrement de bout en bout",
    "la sauvegarde de ses données",
    "un partenariat stratégique",
    "la sobriété énergétique de ses serveurs",
];
const COMPLEMENTS: &[&str] = &[
    "d'ici à la fin de l'année",
    "selon un communiqué publié mardi",
    "dans l'Hexagone",
    "face à la concurrence américaine",
    "auprès de ses clients européens",
    "à partir du 1er janvier",
    "dans le cadre du plan France 2030",
    "après plusieurs mois de négociations",
    "pour un montant non divulgué",
    "au terme d'un appel d'offres",
];
const CONNECTORS: &[&str] = &[
    "Par ailleurs,",
    "En outre,",
    "De son côté,",
    "Dans le même temps,",
    "Toutefois,",
    "Concrètement,",
    "À terme,",
];
const QUOTES: &[&str] = &[
    "nous ne pouvions plus attendre",
    "le marché est en train de basculer",
    "la souveraineté n'est pas un slogan",
    "nos clients nous le demandent depuis longtemps",
    "la sécurité doit être pensée dès la conception",
    "le calendrier est très serré",
];
const TITLE_TOPICS: &[&str] = &[
    "cloud souverain",
    "cybersécurité",
    "5G",
    "open source",
    "IA générative",
    "fibre",
    "RGPD",
    "télétravail",
    "semi-conducteurs",
    "rançongiciels",
];

/// One sentence of news prose.
pub fn sentence(rng: &mut Rng) -> String {
    match rng.range(0, 3) {
        0 => format!(
            "{} {} {} {}.",
            rng.pick(SUBJECTS),
            rng.pick(VERBS),
            rng.pick(OBJECTS),
            rng.pick(COMPLEMENTS)
        ),
        1 => {
            let subject = rng.pick(SUBJECTS).to_lowercase();
            format!(
                "{} {subject} {} {}.",
                rng.pick(CONNECTORS),
                rng.pick(VERBS),
                rng.pick(OBJECTS)
            )
        }
        2 => {
            let quote = *rng.pick(QUOTES);
            format!(
                "« {} », explique un responsable du projet, qui {} {}.",
                capitalise(quote),
                rng.pick(VERBS),
                rng.pick(OBJECTS)
            )
        }
        _ => format!(
            "{} {} {} {}, {}.",
            rng.pick(SUBJECTS),
            rng.pick(VERBS),
            rng.pick(OBJECTS),
            rng.pick(COMPLEMENTS),
            rng.pick(COMPLEMENTS)
        ),
    }
}

/// A paragraph of 3 to 5 sentences.
pub fn paragraph(rng: &mut Rng) -> String {
    let n = rng.range(3, 5);
    (0..n).map(|_| sentence(rng)).collect::<Vec<_>>().join(" ")
}

/// An article title.
pub fn title(rng: &mut Rng) -> String {
    let topic = *rng.pick(TITLE_TOPICS);
    match rng.range(0, 2) {
        0 => format!(
            "{} : {} {} {}",
            capitalise(topic),
            rng.pick(SUBJECTS).to_lowercase(),
            rng.pick(VERBS),
            rng.pick(OBJECTS)
        ),
        1 => format!(
            "{} {} {}",
            rng.pick(SUBJECTS),
            rng.pick(VERBS),
            rng.pick(OBJECTS)
        ),
        _ => format!("Ce qui change avec {} {}", topic, rng.pick(COMPLEMENTS)),
    }
}

/// `"été"` → `"Été"`.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A URL path segment from a title: lower case, ASCII letters and digits, dashes.
pub fn slugify(text: &str, max_len: usize) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        };
        if c == '-' && (slug.is_empty() || slug.ends_with('-')) {
            continue;
        }
        slug.push(c);
        if slug.len() >= max_len {
            break;
        }
    }
    slug.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic_and_seeded() {
        let a: Vec<u64> = (0..4)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..4)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let c: Vec<u64> = (0..4)
            .scan(Rng::new(8), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn slugs_are_ascii() {
        assert_eq!(
            slugify("Cybersécurité : l'éditeur déploie", 60),
            "cybersecurite-l-editeur-deploie"
        );
        assert_eq!(slugify("Été", 60), "ete");
    }
}
