//! Politeness: robots.txt per RFC 9309 (fetched once per host, cached) and the per-host
//! rate limiters and in-flight caps.

mod limits;
mod robots;
mod shared;

pub use limits::{
    HostGate, HostPermit, IDLE_EVICTION, MAX_RETRY_AFTER, TokioClock, TokioInstant, backoff_delay,
    interval_for, parse_retry_after, quota_for,
};
pub use robots::{
    MAX_CRAWL_DELAY, MAX_ROBOTS_BYTES, MAX_ROBOTS_REDIRECTS, RobotsMatcher, RobotsRules,
    RobotstxtMatcher, fetch_robots, product_token,
};
pub use shared::{
    Gate, GatePermit, RobotsClaim, SharedPermit, SharedPoliteness, SharedStoreError, SlotGrant,
    SlotLimits, StoredRobots, fetch_robots_stored,
};
