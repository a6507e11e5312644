//! The `glaneur` command: parses arguments, runs one command, maps errors to exit codes.

fn main() {}
