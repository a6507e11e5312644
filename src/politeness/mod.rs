//! Politeness: robots.txt per RFC 9309 (fetched once per host, cached; asked again with
//! backoff while unavailable) and the per-host rate limiters and in-flight caps, in this
//! process or shared by the workers of a PostgreSQL state ([`Gate`]).

mod limits;
mod postgres;
mod robots;
mod shared;

pub use limits::{
    HostGate, HostPermit, IDLE_EVICTION, MAX_RETRY_AFTER, TokioClock, TokioInstant, backoff_delay,
    interval_for, parse_retry_after, quota_for,
};
pub use postgres::PostgresPoliteness;
pub use robots::{
    MAX_CRAWL_DELAY, MAX_ROBOTS_BYTES, MAX_ROBOTS_REDIRECTS, ROBOTS_RETRY_BASE, ROBOTS_RETRY_MAX,
    RobotsMatcher, RobotsRules, RobotstxtMatcher, fetch_robots, product_token, robots_retry_delay,
};
pub use shared::{
    Gate, GatePermit, RobotsClaim, SharedPermit, SharedPoliteness, SharedStoreError, SlotGrant,
    SlotLimits, StoredRobots, fetch_robots_stored,
};
