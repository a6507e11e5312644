//! Storage shared by several stages of a crawl: the PostgreSQL database of a crawl shared
//! by several workers ([`postgres`]).

pub mod postgres;
