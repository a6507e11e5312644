//! Command-line front ends of the library (one module per subcommand).

pub mod extract;
