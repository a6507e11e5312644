//! Politeness: robots.txt per RFC 9309 (fetched once per host, cached) and the per-host
//! rate limiters and in-flight caps.

mod limits;
mod robots;

pub use limits::{HostGate, HostPermit};
pub use robots::{RobotsRules, RobotsMatcher, fetch_robots};
