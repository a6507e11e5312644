//! The crawl loop: ties frontier, politeness, fetch, archive and extraction together.
